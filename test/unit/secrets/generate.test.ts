import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { execFileSync, spawnSync } from 'node:child_process';
import { X509Certificate, createPrivateKey, createPublicKey } from 'node:crypto';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Server } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  generateSshKeyPair,
  generateWebhookCert,
  reusableWebhookCert,
  webhookDnsNames,
  type WebhookCert,
  type WebhookCertRequest,
} from '../../../src/secrets/generate.ts';

const DAY = 24 * 60 * 60 * 1000;
const req: WebhookCertRequest = { serviceName: 'dynamo-webhook', namespace: 'dynamo-system', clusterDomain: 'cluster.local', validityDays: 365 };
const NAMES = [
  'dynamo-webhook',
  'dynamo-webhook.dynamo-system',
  'dynamo-webhook.dynamo-system.svc',
  'dynamo-webhook.dynamo-system.svc.cluster.local',
];
// A fixed clock for the expiry cases (a whole second, so X.509 times read back exactly).
const T0 = new Date('2030-01-01T00:00:00.000Z');

const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');
const secretData = (cert: Pick<WebhookCert, 'tlsCert' | 'tlsKey' | 'caCert'>): Record<string, string> => ({
  'tls.crt': b64(cert.tlsCert),
  'tls.key': b64(cert.tlsKey),
  'ca.crt': b64(cert.caCert),
});
const pemLines = (pem: string) => pem.split('\n');

/** Every line free of trailing whitespace and CR, base64 bodies at most 64 wide, exactly one final newline. */
function expectCleanPem(pem: string, label: string): void {
  expect(pem.startsWith(`-----BEGIN ${label}-----\n`)).toBe(true);
  expect(pem.endsWith(`-----END ${label}-----\n`)).toBe(true);
  expect(pem.endsWith('\n\n')).toBe(false);
  const lines = pemLines(pem).slice(1, -2);
  for (const line of lines) {
    expect(line).toMatch(/^[A-Za-z0-9+/=]{1,64}$/);
  }
  expect(pem).not.toMatch(/[ \t\r]$/m);
}

// Three generations, shared: RSA-4096 keygen is the slow part (≈0.3 s on Node 24, ≈1.3 s on Node 20).
let a: WebhookCert;
let b: WebhookCert;
let fixed: WebhookCert;
let generatedAt: number;
beforeAll(async () => {
  generatedAt = Date.now();
  [a, b, fixed] = await Promise.all([generateWebhookCert(req), generateWebhookCert(req), generateWebhookCert({ ...req, now: T0 })]);
}, 120_000);

describe('webhookDnsNames', () => {
  it('lists the four names a Service is reached by, shortest first', () => {
    expect(webhookDnsNames(req)).toEqual(NAMES);
  });

  it('tolerates a fully-qualified cluster domain and drops an empty one', () => {
    expect(webhookDnsNames({ ...req, clusterDomain: 'cluster.local.' })).toEqual(NAMES);
    expect(webhookDnsNames({ ...req, clusterDomain: '' })).toEqual(NAMES.slice(0, 3));
  });

  it('refuses an empty service name or namespace', () => {
    expect(() => webhookDnsNames({ ...req, serviceName: '' })).toThrow(/service name and a namespace/);
    expect(() => webhookDnsNames({ ...req, namespace: ' ' })).toThrow(/service name and a namespace/);
  });
});

describe('generateWebhookCert, checked with @peculiar/x509', () => {
  it('makes a self-signed RSA-4096 CA "Dynamo Webhook CA, O=NVIDIA" with CA constraints', async () => {
    const ca = new x509.X509Certificate(a.caCert);
    expect(ca.subject).toBe('CN=Dynamo Webhook CA, O=NVIDIA');
    expect(ca.issuer).toBe(ca.subject);
    expect(await ca.isSelfSigned()).toBe(true);
    const bc = ca.getExtension(x509.BasicConstraintsExtension);
    expect(bc?.ca).toBe(true);
    expect(bc?.critical).toBe(true);
    const ku = ca.getExtension(x509.KeyUsagesExtension);
    expect(ku?.usages).toBe(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign);
    expect(ku?.critical).toBe(true);
    expect(ca.getExtension(x509.SubjectKeyIdentifierExtension)).not.toBeNull();
    expect((ca.publicKey.algorithm as { modulusLength?: number }).modulusLength).toBe(4096);
  });

  it('makes an RSA-2048 serving certificate signed by that CA, with exactly the wanted SANs and usages', async () => {
    const ca = new x509.X509Certificate(a.caCert);
    const tls = new x509.X509Certificate(a.tlsCert);
    expect(tls.subject).toBe('CN=dynamo-webhook.dynamo-system.svc');
    expect(tls.issuer).toBe(ca.subject);
    expect(await tls.verify({ publicKey: ca.publicKey, signatureOnly: true })).toBe(true);
    expect(await tls.verify({ publicKey: new x509.X509Certificate(b.caCert).publicKey, signatureOnly: true })).toBe(false);

    const san = tls.getExtension(x509.SubjectAlternativeNameExtension);
    expect(san?.names.items.map((n) => [n.type, n.value])).toEqual(NAMES.map((n) => ['dns', n]));
    expect(a.dnsNames).toEqual(NAMES);

    expect(tls.getExtension(x509.BasicConstraintsExtension)?.ca).toBe(false);
    expect(tls.getExtension(x509.KeyUsagesExtension)?.usages).toBe(
      x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment,
    );
    expect(tls.getExtension(x509.ExtendedKeyUsageExtension)?.usages).toEqual([x509.ExtendedKeyUsage.serverAuth]);
    const aki = tls.getExtension(x509.AuthorityKeyIdentifierExtension);
    const caSki = ca.getExtension(x509.SubjectKeyIdentifierExtension);
    expect(aki?.keyId).toBeDefined();
    expect(aki?.keyId).toBe(caSki?.keyId);
    expect((tls.publicKey.algorithm as { modulusLength?: number }).modulusLength).toBe(2048);
  });

  it('is valid from 5 minutes ago for validityDays, and reports that notAfter', () => {
    for (const pem of [a.tlsCert, a.caCert]) {
      const cert = new x509.X509Certificate(pem);
      expect(cert.notAfter.getTime() - cert.notBefore.getTime()).toBe(365 * DAY + 5 * 60 * 1000);
      expect(Math.abs(cert.notBefore.getTime() - (generatedAt - 5 * 60 * 1000))).toBeLessThan(60_000);
    }
    expect(a.notAfter).toBe(new x509.X509Certificate(a.tlsCert).notAfter.toISOString());
    expect(fixed.notAfter).toBe('2031-01-01T00:00:00.000Z');
    expect(new x509.X509Certificate(fixed.tlsCert).notBefore.toISOString()).toBe('2029-12-31T23:55:00.000Z');
  });

  it('honours another validity', async () => {
    const short = await generateWebhookCert({ ...req, validityDays: 45, now: T0 });
    expect(short.notAfter).toBe(new Date(T0.getTime() + 45 * DAY).toISOString());
    expect(new X509Certificate(short.caCert).validTo).toBe(new X509Certificate(short.tlsCert).validTo);
  }, 60_000);

  it('refuses a non-positive or non-numeric validity', async () => {
    await expect(generateWebhookCert({ ...req, validityDays: 0 })).rejects.toThrow(/positive number of days/);
    await expect(generateWebhookCert({ ...req, validityDays: Number.NaN })).rejects.toThrow(/positive number of days/);
  });
});

describe('generateWebhookCert, checked independently with node:crypto', () => {
  it('chains to the CA', () => {
    const ca = new X509Certificate(a.caCert);
    const tls = new X509Certificate(a.tlsCert);
    expect(ca.ca).toBe(true);
    expect(tls.ca).toBe(false);
    expect(ca.verify(ca.publicKey)).toBe(true);
    expect(tls.checkIssued(ca)).toBe(true);
    expect(tls.verify(ca.publicKey)).toBe(true);
    const otherCa = new X509Certificate(b.caCert);
    expect(tls.verify(otherCa.publicKey)).toBe(false);
    expect(tls.keyUsage).toEqual(['1.3.6.1.5.5.7.3.1']);
  });

  it('carries exactly the four SANs, and checkHost accepts each and nothing else', () => {
    const tls = new X509Certificate(a.tlsCert);
    expect(tls.subjectAltName).toBe(NAMES.map((n) => `DNS:${n}`).join(', '));
    for (const name of NAMES) expect(tls.checkHost(name)).toBe(name);
    expect(tls.checkHost('dynamo-webhook.other.svc')).toBeUndefined();
    expect(tls.checkHost('evil.dynamo-webhook.dynamo-system.svc')).toBeUndefined();
  });

  it('lasts validityDays (plus the 5 minutes of skew)', () => {
    const tls = new X509Certificate(a.tlsCert);
    const lifetime = Date.parse(tls.validTo) - Date.parse(tls.validFrom);
    expect(lifetime).toBe(365 * DAY + 5 * 60 * 1000);
    expect(Math.abs(Date.parse(tls.validTo) - (generatedAt + 365 * DAY))).toBeLessThan(60_000);
  });

  it('hands out the key of the certificate, as PKCS#8 RSA-2048', () => {
    const key = createPrivateKey(a.tlsKey);
    expect(key.asymmetricKeyType).toBe('rsa');
    expect(key.asymmetricKeyDetails?.modulusLength).toBe(2048);
    expect(new X509Certificate(a.tlsCert).checkPrivateKey(key)).toBe(true);
    expect(new X509Certificate(b.tlsCert).checkPrivateKey(key)).toBe(false);
    expect(new X509Certificate(a.caCert).publicKey.asymmetricKeyDetails?.modulusLength).toBe(4096);
  });

  it('uses random positive 128-bit serial numbers', () => {
    const serials = [a.caCert, a.tlsCert, b.caCert, b.tlsCert].map((pem) => new X509Certificate(pem).serialNumber);
    for (const serial of serials) {
      expect(serial).toMatch(/^[0-9A-F]{32}$/);
      expect(Number.parseInt(serial.slice(0, 2), 16)).toBeLessThan(0x80);
      expect(BigInt(`0x${serial}`) > 0n).toBe(true);
    }
    expect(new Set(serials).size).toBe(4);
  });

  it('serves TLS that a client trusting only ca.crt accepts under every name', async () => {
    const server: Server = createServer({ cert: a.tlsCert, key: a.tlsKey }, (socket) => socket.end('ok'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    const handshake = (servername: string, ca: string) =>
      new Promise<string>((resolve, reject) => {
        const socket = connect({ host: '127.0.0.1', port, servername, ca }, () => {
          socket.on('data', (data: Buffer) => resolve(data.toString()));
        });
        socket.on('error', reject);
      });
    try {
      for (const name of NAMES) await expect(handshake(name, a.caCert)).resolves.toBe('ok');
      await expect(handshake('dynamo-webhook.other.svc', a.caCert)).rejects.toThrow(/altnames|Hostname/i);
      await expect(handshake(NAMES[2] ?? '', b.caCert)).rejects.toThrow(/certificate/i);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('generateWebhookCert output', () => {
  it('is clean PEM text: PKCS#8 key, LF line endings, no trailing spaces', () => {
    for (const cert of [a, b, fixed]) {
      expectCleanPem(cert.caCert, 'CERTIFICATE');
      expectCleanPem(cert.tlsCert, 'CERTIFICATE');
      expectCleanPem(cert.tlsKey, 'PRIVATE KEY');
    }
  });

  it('differs on every generation', () => {
    expect(a.caCert).not.toBe(b.caCert);
    expect(a.tlsCert).not.toBe(b.tlsCert);
    expect(a.tlsKey).not.toBe(b.tlsKey);
    expect(new X509Certificate(a.caCert).publicKey.export({ type: 'spki', format: 'pem' })).not.toBe(
      new X509Certificate(b.caCert).publicKey.export({ type: 'spki', format: 'pem' }),
    );
  });
});

describe('reusableWebhookCert', () => {
  it('keeps a fresh certificate, returning it unchanged', async () => {
    const result = await reusableWebhookCert(secretData(a), req);
    expect(result).toEqual({ reuse: true, cert: a });
  });

  it('keeps a certificate with exactly 30 days left, and one whose key is PKCS#1 or whose base64 is wrapped', async () => {
    expect((await reusableWebhookCert(secretData(fixed), { ...req, now: new Date(T0.getTime() + 335 * DAY) })).reuse).toBe(true);
    const pkcs1 = createPrivateKey(a.tlsKey).export({ type: 'pkcs1', format: 'pem' }).toString();
    const data = secretData({ ...a, tlsKey: pkcs1 });
    data['tls.crt'] = (data['tls.crt'] ?? '').replace(/(.{76})/g, '$1\n');
    const result = await reusableWebhookCert(data, req);
    expect(result.reuse).toBe(true);
    if (result.reuse) expect(result.cert.tlsKey).toBe(pkcs1);
  });

  it('refuses a certificate that expires in less than 30 days', async () => {
    expect(await reusableWebhookCert(secretData(fixed), { ...req, now: new Date(T0.getTime() + 340 * DAY) })).toEqual({
      reuse: false,
      reason: 'expires in 25 days',
    });
    expect(await reusableWebhookCert(secretData(fixed), { ...req, now: new Date(T0.getTime() + 364.5 * DAY) })).toEqual({
      reuse: false,
      reason: 'expires in 0 days',
    });
    expect(await reusableWebhookCert(secretData(fixed), { ...req, now: new Date(T0.getTime() + 366 * DAY) })).toEqual({
      reuse: false,
      reason: 'expired on 2031-01-01T00:00:00.000Z',
    });
  });

  it('refuses a certificate that is not valid yet', async () => {
    expect(await reusableWebhookCert(secretData(fixed), { ...req, now: new Date(T0.getTime() - DAY) })).toEqual({
      reuse: false,
      reason: 'not valid before 2029-12-31T23:55:00.000Z',
    });
  });

  it('refuses a certificate for another namespace or cluster domain, naming the differences', async () => {
    expect(await reusableWebhookCert(secretData(a), { ...req, namespace: 'other' })).toEqual({
      reuse: false,
      reason:
        'SANs differ: missing dynamo-webhook.other, dynamo-webhook.other.svc, dynamo-webhook.other.svc.cluster.local; ' +
        'unexpected dynamo-webhook.dynamo-system, dynamo-webhook.dynamo-system.svc, dynamo-webhook.dynamo-system.svc.cluster.local',
    });
    expect(await reusableWebhookCert(secretData(a), { ...req, clusterDomain: 'example.org' })).toEqual({
      reuse: false,
      reason: 'SANs differ: missing dynamo-webhook.dynamo-system.svc.example.org; unexpected dynamo-webhook.dynamo-system.svc.cluster.local',
    });
    expect(await reusableWebhookCert(secretData(a), { ...req, clusterDomain: '' })).toEqual({
      reuse: false,
      reason: 'SANs differ: unexpected dynamo-webhook.dynamo-system.svc.cluster.local',
    });
  });

  it('refuses a missing Secret or missing keys', async () => {
    expect(await reusableWebhookCert(undefined, req)).toEqual({ reuse: false, reason: 'no secret data' });
    const noKey = secretData(a);
    delete noKey['tls.key'];
    expect(await reusableWebhookCert(noKey, req)).toEqual({ reuse: false, reason: 'no tls.key' });
    expect(await reusableWebhookCert({ ...secretData(a), 'ca.crt': '' }, req)).toEqual({ reuse: false, reason: 'no ca.crt' });
    expect(await reusableWebhookCert({}, req)).toEqual({ reuse: false, reason: 'no tls.crt, tls.key, ca.crt' });
  });

  it('refuses garbage', async () => {
    const garbagePem = '-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n';
    const cases: Array<[Record<string, string>, RegExp]> = [
      [{ ...secretData(a), 'tls.crt': b64(garbagePem) }, /^tls\.crt is not a readable certificate \(.+\)$/],
      [{ ...secretData(a), 'ca.crt': b64(garbagePem) }, /^ca\.crt is not a readable certificate \(.+\)$/],
      [{ ...secretData(a), 'tls.crt': b64('hello') }, /^tls\.crt is not a PEM certificate$/],
      [{ ...secretData(a), 'tls.crt': '%%% not base64 %%%' }, /^tls\.crt is not base64$/],
      [{ ...secretData(a), 'tls.key': b64('-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n') }, /^tls\.key is not a readable private key \(.+\)$/],
    ];
    for (const [data, reason] of cases) {
      const result = await reusableWebhookCert(data, req);
      expect(result.reuse).toBe(false);
      if (!result.reuse) expect(result.reason).toMatch(reason);
    }
  });

  it('refuses a certificate signed by another CA', async () => {
    expect(await reusableWebhookCert({ ...secretData(a), 'ca.crt': b64(b.caCert) }, req)).toEqual({
      reuse: false,
      reason: 'tls.crt is not signed by ca.crt',
    });
  });

  it('refuses a ca.crt that is not a CA', async () => {
    expect(await reusableWebhookCert({ ...secretData(a), 'ca.crt': b64(a.tlsCert) }, req)).toEqual({
      reuse: false,
      reason: 'ca.crt is not a CA certificate',
    });
  });

  it('refuses a key that does not match the certificate', async () => {
    expect(await reusableWebhookCert({ ...secretData(a), 'tls.key': b64(b.tlsKey) }, req)).toEqual({
      reuse: false,
      reason: 'tls.key does not match tls.crt',
    });
  });
});

// --- SSH --------------------------------------------------------------------------------------------------

/** Reads the RFC 4253 "ssh-rsa" public key blob back: string, mpint e, mpint n, nothing after. */
function readSshRsaBlob(blob: Buffer): { type: string; e: Buffer; n: Buffer } {
  let offset = 0;
  const field = (): Buffer => {
    const length = blob.readUInt32BE(offset);
    const value = blob.subarray(offset + 4, offset + 4 + length);
    expect(value.length).toBe(length);
    offset += 4 + length;
    return value;
  };
  const mpint = (): Buffer => {
    const raw = field();
    expect(raw.length).toBeGreaterThan(0);
    const first = raw[0] ?? 0;
    expect(first & 0x80).toBe(0); // non-negative
    if (first === 0) expect((raw[1] ?? 0) & 0x80).toBe(0x80); // a leading zero only where the sign needs it
    return first === 0 ? raw.subarray(1) : raw;
  };
  const type = field().toString('ascii');
  const e = mpint();
  const n = mpint();
  expect(offset).toBe(blob.length);
  return { type, e, n };
}

const hasSshKeygen = spawnSync('sh', ['-c', 'command -v ssh-keygen'], { encoding: 'utf8' }).status === 0;

describe('generateSshKeyPair', () => {
  const pair = generateSshKeyPair();

  it('makes a readable RSA-2048 private key in PKCS#1 PEM', () => {
    const key = createPrivateKey(pair.privateKey);
    expect(key.asymmetricKeyType).toBe('rsa');
    expect(key.asymmetricKeyDetails?.modulusLength).toBe(2048);
    expect(key.asymmetricKeyDetails?.publicExponent).toBe(65537n);
    expectCleanPem(pair.privateKey, 'RSA PRIVATE KEY');
  });

  it('writes the matching OpenSSH public key line', () => {
    const match = /^ssh-rsa ([A-Za-z0-9+/]+=*) dynamo-mpi$/.exec(pair.publicKey);
    expect(match).not.toBeNull();
    const blob = Buffer.from(match?.[1] ?? '', 'base64');
    const { type, e, n } = readSshRsaBlob(blob);
    expect(type).toBe('ssh-rsa');
    const jwk = createPublicKey(pair.privateKey).export({ format: 'jwk' });
    expect(e.toString('base64url')).toBe(jwk.e);
    expect(n.toString('base64url')).toBe(jwk.n);
    expect(n.length).toBe(256);
    expect(blob.length).toBe(4 + 7 + 4 + 3 + 4 + 257);
  });

  it('takes a comment, and refuses a multi-line one', () => {
    expect(generateSshKeyPair('mpi@dynamo').publicKey).toMatch(/^ssh-rsa \S+ mpi@dynamo$/);
    expect(generateSshKeyPair('').publicKey).toMatch(/^ssh-rsa \S+$/);
    expect(() => generateSshKeyPair('a\nb')).toThrow(/single line/);
  });

  it('differs on every generation', () => {
    const other = generateSshKeyPair();
    expect(other.privateKey).not.toBe(pair.privateKey);
    expect(other.publicKey).not.toBe(pair.publicKey);
  });

  it.skipIf(!hasSshKeygen)('agrees with ssh-keygen on the public key and its size', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dynamoctl-ssh-'));
    try {
      const keyFile = join(dir, 'id_rsa');
      writeFileSync(keyFile, pair.privateKey, { mode: 0o600 });
      expect(statSync(keyFile).mode & 0o777).toBe(0o600);
      const derived = execFileSync('ssh-keygen', ['-y', '-f', keyFile], { encoding: 'utf8' }).trim().split(/\s+/);
      const ours = pair.publicKey.split(' ');
      expect(derived[0]).toBe('ssh-rsa');
      expect(derived[1]).toBe(ours[1]);

      const pubFile = join(dir, 'id_rsa.pub');
      writeFileSync(pubFile, `${pair.publicKey}\n`);
      const fingerprint = execFileSync('ssh-keygen', ['-l', '-f', pubFile], { encoding: 'utf8' }).trim();
      expect(fingerprint).toMatch(/^2048 SHA256:\S+ dynamo-mpi \(RSA\)$/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
