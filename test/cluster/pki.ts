/**
 * The test cluster's own PKI, made with the openssl CLI (Node can make keys but not X.509 certificates).
 * One CA signs the API server's serving certificate and every client certificate; a client's CN is its
 * user name and each O is a group, as the API server's x509 authenticator reads them.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';

const openssl = (args: string[]): void => {
  execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
};
const EC_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

export interface Pki {
  dir: string;
  caCert: string;
  caKey: string;
  serverCert: string;
  serverKey: string;
  /** Signs and verifies ServiceAccount tokens. */
  serviceAccountKey: string;
}

export function createPki(dir: string): Pki {
  const p = (f: string): string => join(dir, f);
  openssl(['req', '-x509', ...EC_KEY, '-keyout', p('ca.key'), '-out', p('ca.crt'), '-days', '30', '-subj', '/CN=dynamoctl-test-ca']);
  const sans = [
    'DNS:localhost',
    'DNS:kubernetes',
    'DNS:kubernetes.default',
    'DNS:kubernetes.default.svc',
    'DNS:kubernetes.default.svc.cluster.local',
    'IP:127.0.0.1',
    'IP:10.96.0.1',
  ];
  signCert(dir, 'apiserver', '/CN=kube-apiserver', `subjectAltName=${sans.join(',')}\nextendedKeyUsage=serverAuth\n`);
  openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', p('sa.key')]);
  return { dir, caCert: p('ca.crt'), caKey: p('ca.key'), serverCert: p('apiserver.crt'), serverKey: p('apiserver.key'), serviceAccountKey: p('sa.key') };
}

function signCert(dir: string, name: string, subject: string, extensions: string): void {
  const p = (f: string): string => join(dir, f);
  writeFileSync(p(`${name}.ext`), extensions);
  openssl(['req', '-new', ...EC_KEY, '-keyout', p(`${name}.key`), '-out', p(`${name}.csr`), '-subj', subject]);
  openssl(['x509', '-req', '-in', p(`${name}.csr`), '-CA', p('ca.crt'), '-CAkey', p('ca.key'), '-CAcreateserial', '-days', '30', '-out', p(`${name}.crt`), '-extfile', p(`${name}.ext`)]);
}

const b64 = (file: string): string => readFileSync(file).toString('base64');

/**
 * Mints a client certificate for `user` in `groups` and writes a kubeconfig for it; returns its path.
 * The user has no rights until something binds a role to it.
 */
export function writeKubeconfig(pki: Pki, server: string, user: string, groups: string[] = []): string {
  const subject = `/CN=${user}${groups.map((g) => `/O=${g}`).join('')}`;
  const name = `user-${user.replace(/[^a-zA-Z0-9.-]/g, '_')}`;
  signCert(pki.dir, name, subject, 'extendedKeyUsage=clientAuth\n');
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'dynamoctl-test', cluster: { server, 'certificate-authority-data': b64(pki.caCert) } }],
    users: [{ name: user, user: { 'client-certificate-data': b64(join(pki.dir, `${name}.crt`)), 'client-key-data': b64(join(pki.dir, `${name}.key`)) } }],
    contexts: [{ name: `${user}@dynamoctl-test`, context: { cluster: 'dynamoctl-test', user, namespace: 'default' } }],
    'current-context': `${user}@dynamoctl-test`,
  };
  const file = join(pki.dir, `${name}.kubeconfig`);
  writeFileSync(file, stringify(config), { mode: 0o600 });
  return file;
}
