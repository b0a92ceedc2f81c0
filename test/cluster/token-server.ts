/**
 * The token endpoint of the Docker token authentication spec, for a registry run with `auth: token`:
 *   node token-server.ts CONFIG.json PORT
 * GET /token?service=…&scope=repository:<name>:<actions>[&scope=…] with optional Basic credentials. A known
 * user gets every action asked; an anonymous caller gets `pull` on repositories under the configured
 * public prefix and nothing else; wrong credentials get 401. Tokens are JWTs signed ES256 with the key in
 * CONFIG (whose public half the registry trusts through a JWKS file). GET /requests counts token requests.
 * Its own process: the tests run the CLI synchronously, which would starve a server in the test process.
 */
import { createPrivateKey, randomUUID, sign, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';

export interface TokenServerConfig {
  users: { username: string; password: string }[];
  anonymousPullPrefix: string;
  issuer: string;
  /** PKCS#8 PEM of the P-256 signing key. */
  privateKey: string;
  kid: string;
}

const [configFile, port] = process.argv.slice(2);
if (!configFile || !port) throw new Error('usage: token-server.ts CONFIG.json PORT');
const config = JSON.parse(readFileSync(configFile, 'utf8')) as TokenServerConfig;
const key = createPrivateKey(config.privateKey);
let requests = 0;

createServer((req, res) => {
  // no keep-alive: the tests ask between synchronous CLI runs, long after an idle connection would have lapsed
  res.setHeader('Connection', 'close');
  const url = new URL(req.url ?? '/', 'http://localhost');
  if (url.pathname === '/requests') {
    res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ requests }));
    return;
  }
  requests++;
  const header = req.headers.authorization ?? '';
  let user: string | undefined;
  if (header.startsWith('Basic ')) {
    const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    const [username, password] = [decoded.slice(0, colon), decoded.slice(colon + 1)];
    if (!config.users.some((u) => u.username === username && u.password === password)) {
      res.writeHead(401, { 'Content-Type': 'application/json' }).end(JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'bad credentials' }] }));
      return;
    }
    user = username;
  }
  const access = url.searchParams.getAll('scope').flatMap((scope) => {
    const [type, name, actions] = scope.split(':');
    if (type !== 'repository' || !name || !actions) return [];
    const granted = actions.split(',').filter((a) => user !== undefined || (a === 'pull' && name.startsWith(config.anonymousPullPrefix)));
    return granted.length ? [{ type, name, actions: granted }] : [];
  });
  const token = signJwt(key, config.kid, { iss: config.issuer, sub: user ?? '', aud: url.searchParams.get('service') ?? '', access });
  res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ token, access_token: token, expires_in: 300 }));
}).listen(Number(port), '127.0.0.1');

function signJwt(signingKey: KeyObject, kid: string, claims: Record<string, unknown>): string {
  const now = Math.floor(Date.now() / 1000);
  const b64 = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString('base64url');
  const input = `${b64({ alg: 'ES256', typ: 'JWT', kid })}.${b64({ ...claims, iat: now, nbf: now - 10, exp: now + 300, jti: randomUUID() })}`;
  return `${input}.${sign('sha256', Buffer.from(input), { key: signingKey, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`;
}
