/**
 * Key material the upstream chart makes in hook Jobs, made here instead: the admission webhook's CA and
 * serving certificate, and the MPI SSH keypair. This is the one random step of an install; rendering stays pure
 * and receives what this module produces.
 *
 * Webhook certificate (as the chart's cert-generation Job):
 * - CA: RSA-4096, self-signed, subject `CN=Dynamo Webhook CA, O=NVIDIA`, BasicConstraints CA (critical),
 *   KeyUsage keyCertSign|cRLSign (critical), SubjectKeyIdentifier.
 * - Serving certificate: RSA-2048, subject `CN=<svc>.<ns>.svc`, SANs `<svc>`, `<svc>.<ns>`, `<svc>.<ns>.svc`,
 *   `<svc>.<ns>.svc.<clusterDomain>`; BasicConstraints CA:false (critical), KeyUsage
 *   digitalSignature|keyEncipherment (critical), ExtendedKeyUsage serverAuth, Subject/AuthorityKeyIdentifier.
 * - Both are valid from now − 5 minutes (clock skew between this machine and the API server) for
 *   `validityDays`; SHA-256 with RSA (PKCS#1 v1.5) signatures; random positive 128-bit serial numbers.
 * - The Secret holds `tls.crt`, `tls.key` (PKCS#8 PEM), `ca.crt`. The CA private key is never stored: a renewal
 *   makes a new CA, and the caller patches the new `caBundle` into the webhook configuration.
 * - An existing Secret is kept when it still holds a usable pair with the wanted SANs and ≥ 30 days left
 *   (see `reusableWebhookCert`).
 *
 * Key sizes: the chart's RSA-4096 CA is kept (the budget was a median under 1 s). Measured on the 2-core
 * development machine with Node 24.21, median of 5 WebCrypto `generateKey` calls, over several runs: RSA-2048
 * 20–75 ms, RSA-4096 210–580 ms (single calls vary, up to ~1.2 s: prime search is random); a whole
 * `generateWebhookCert` 240–600 ms. Node 20 is about 3× slower (RSA-4096 median 1.2 s), but dynamoctl runs on Node ≥ 22.
 *
 * Deviations from the chart, all deliberate:
 * - The CA is valid for the same `validityDays` as the serving certificate (there is no point in a longer-lived
 *   CA whose key is thrown away), and the reuse check requires 30 days on both.
 * - The reuse check is stricter than the chart's (which looks at expiry and SANs): it also requires the
 *   serving certificate to be signed by the stored CA and the stored key to match the certificate, so a
 *   half-written or hand-edited Secret is replaced rather than trusted.
 *
 * SSH keypair (MPI): RSA-2048 from node:crypto. The private key is a traditional PKCS#1 PEM
 * (`BEGIN RSA PRIVATE KEY`, what `ssh-keygen -m PEM` writes; every OpenSSH and dropbear reads it); the public key is an
 * OpenSSH `authorized_keys` line built here from the RFC 4253 wire format.
 */
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { X509Certificate as NodeX509Certificate, createPrivateKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import type { webcrypto } from 'node:crypto';
import { UserError } from '../errors.ts';

export interface WebhookCertRequest {
  serviceName: string;
  namespace: string;
  clusterDomain: string;
  validityDays: number;
  /** The clock, for tests and for making a certificate "as of" another time. Default: the current time. */
  now?: Date;
}

/** PEM strings (each ends with one newline), and facts read back from the serving certificate. */
export interface WebhookCert {
  caCert: string;
  tlsCert: string;
  tlsKey: string;
  /** The serving certificate's notAfter, ISO 8601. */
  notAfter: string;
  dnsNames: string[];
}

export type WebhookCertReuse = { reuse: true; cert: WebhookCert } | { reuse: false; reason: string };

export interface SshKeyPair {
  /** PKCS#1 PEM (`-----BEGIN RSA PRIVATE KEY-----`). */
  privateKey: string;
  /** One OpenSSH public key line: `ssh-rsa <base64> <comment>`, no newline. */
  publicKey: string;
}

/** A Secret is reused only with at least this much validity left (the chart's threshold). */
export const REUSE_MIN_DAYS_LEFT = 30;

const CA_KEY_BITS = 4096;
const SERVING_KEY_BITS = 2048;
const SSH_KEY_BITS = 2048;
const CLOCK_SKEW_MS = 5 * 60 * 1000;
const DAY_MS = 24 * 60 * 60 * 1000;
const CA_SUBJECT = 'CN=Dynamo Webhook CA, O=NVIDIA';
const SECRET_KEYS = ['tls.crt', 'tls.key', 'ca.crt'] as const;

/** The DNS names a webhook Service is reached by, most specific last; duplicates and empty parts dropped. */
export function webhookDnsNames(req: Pick<WebhookCertRequest, 'serviceName' | 'namespace' | 'clusterDomain'>): string[] {
  const svc = req.serviceName.trim();
  const ns = req.namespace.trim();
  const domain = req.clusterDomain.trim().replace(/^\.+|\.+$/g, '');
  if (svc === '' || ns === '') {
    throw new UserError('the webhook certificate needs a service name and a namespace', {
      hint: `got service "${req.serviceName}" in namespace "${req.namespace}"`,
    });
  }
  const names = [svc, `${svc}.${ns}`, `${svc}.${ns}.svc`];
  if (domain !== '') names.push(`${svc}.${ns}.svc.${domain}`);
  return [...new Set(names)];
}

/** A fresh CA and serving certificate for the webhook Service. */
export async function generateWebhookCert(req: WebhookCertRequest): Promise<WebhookCert> {
  if (!Number.isFinite(req.validityDays) || req.validityDays <= 0) {
    throw new UserError(`certificate validity must be a positive number of days, got ${String(req.validityDays)}`, {
      hint: 'set certificateValidity in your values to a number of days such as 365',
    });
  }
  const dnsNames = webhookDnsNames(req);
  const provider = webCrypto();
  // X.509 times have one-second precision: start from a whole second so notAfter reads back exactly.
  const nowMs = Math.floor((req.now ?? new Date()).getTime() / 1000) * 1000;
  const notBefore = new Date(nowMs - CLOCK_SKEW_MS);
  const notAfter = new Date(nowMs + Math.round(req.validityDays * DAY_MS));

  // The CA key only signs, here, once: not extractable.
  const [caKeys, servingKeys] = await Promise.all([rsaKeyPair(CA_KEY_BITS, false), rsaKeyPair(SERVING_KEY_BITS, true)]);

  const ca = await x509.X509CertificateGenerator.createSelfSigned(
    {
      serialNumber: randomSerial(),
      name: CA_SUBJECT,
      notBefore,
      notAfter,
      keys: caKeys,
      signingAlgorithm: SIGNING_ALGORITHM,
      extensions: [
        new x509.BasicConstraintsExtension(true, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
        await x509.SubjectKeyIdentifierExtension.create(caKeys.publicKey, false, provider),
      ],
    },
    provider,
  );

  const serving = await x509.X509CertificateGenerator.create(
    {
      serialNumber: randomSerial(),
      subject: `CN=${dnsNames[2] ?? dnsNames[0]}`,
      issuer: ca.subject,
      notBefore,
      notAfter,
      publicKey: servingKeys.publicKey,
      signingKey: caKeys.privateKey,
      signingAlgorithm: SIGNING_ALGORITHM,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth], false),
        new x509.SubjectAlternativeNameExtension(
          dnsNames.map((value) => ({ type: 'dns' as const, value })),
          false,
        ),
        await x509.SubjectKeyIdentifierExtension.create(servingKeys.publicKey, false, provider),
        await x509.AuthorityKeyIdentifierExtension.create(caKeys.publicKey, false, provider),
      ],
    },
    provider,
  );

  const pkcs8 = await provider.subtle.exportKey('pkcs8', servingKeys.privateKey);
  return {
    caCert: toPem('CERTIFICATE', ca.rawData),
    tlsCert: toPem('CERTIFICATE', serving.rawData),
    tlsKey: toPem('PRIVATE KEY', pkcs8),
    notAfter: serving.notAfter.toISOString(),
    dnsNames: sanDnsNames(serving),
  };
}

/**
 * Reads an existing Secret's data (values base64, as in a Kubernetes Secret's `.data`) and returns the
 * certificate if it can be kept: all three keys present and parseable, tls.crt issued and signed by ca.crt
 * (itself a CA), SANs equal to the wanted names (as a set), tls.key the key of tls.crt, and both certificates
 * valid now and for at least 30 more days. Otherwise says why not, for the install log.
 */
export async function reusableWebhookCert(data: Record<string, string> | undefined, req: WebhookCertRequest): Promise<WebhookCertReuse> {
  const no = (reason: string): WebhookCertReuse => ({ reuse: false, reason });
  if (data === undefined) return no('no secret data');

  const missing = SECRET_KEYS.filter((key) => data[key] === undefined || data[key] === '');
  if (missing.length > 0) return no(`no ${missing.join(', ')}`);

  const text: Partial<Record<(typeof SECRET_KEYS)[number], string>> = {};
  for (const key of SECRET_KEYS) {
    const decoded = decodeBase64(data[key] ?? '');
    if (decoded === undefined) return no(`${key} is not base64`);
    text[key] = decoded;
  }
  const tlsCertPem = text['tls.crt'] ?? '';
  const tlsKeyPem = text['tls.key'] ?? '';
  const caCertPem = text['ca.crt'] ?? '';

  const tls = parseCertificate(tlsCertPem);
  if (typeof tls === 'string') return no(`tls.crt ${tls}`);
  const ca = parseCertificate(caCertPem);
  if (typeof ca === 'string') return no(`ca.crt ${ca}`);
  let key;
  try {
    key = createPrivateKey(tlsKeyPem);
  } catch (error) {
    return no(`tls.key is not a readable private key (${errorText(error)})`);
  }

  const wanted = webhookDnsNames(req);
  const have = sanDnsNames(tls.parsed);
  const missingNames = wanted.filter((name) => !have.includes(name));
  const extraNames = have.filter((name) => !wanted.includes(name));
  if (missingNames.length > 0 || extraNames.length > 0) {
    const parts: string[] = [];
    if (missingNames.length > 0) parts.push(`missing ${missingNames.join(', ')}`);
    if (extraNames.length > 0) parts.push(`unexpected ${extraNames.join(', ')}`);
    return no(`SANs differ: ${parts.join('; ')}`);
  }

  const caConstraints = ca.parsed.getExtension(x509.BasicConstraintsExtension);
  if (caConstraints === null || !caConstraints.ca) return no('ca.crt is not a CA certificate');
  if (!tls.node.checkIssued(ca.node) || !tls.node.verify(ca.node.publicKey)) return no('tls.crt is not signed by ca.crt');
  if (!tls.node.checkPrivateKey(key)) return no('tls.key does not match tls.crt');

  // The serving certificate is "it" in the reasons; the CA is named.
  const nowMs = (req.now ?? new Date()).getTime();
  for (const [prefix, cert] of [['', tls.parsed], ['ca.crt ', ca.parsed]] as const) {
    if (cert.notBefore.getTime() > nowMs) return no(`${prefix}not valid before ${cert.notBefore.toISOString()}`);
    const leftMs = cert.notAfter.getTime() - nowMs;
    if (leftMs <= 0) return no(`${prefix}expired on ${cert.notAfter.toISOString()}`);
    if (leftMs < REUSE_MIN_DAYS_LEFT * DAY_MS) {
      const days = Math.floor(leftMs / DAY_MS);
      return no(`${prefix}expires in ${days} day${days === 1 ? '' : 's'}`);
    }
  }

  return {
    reuse: true,
    cert: { caCert: caCertPem, tlsCert: tlsCertPem, tlsKey: tlsKeyPem, notAfter: tls.parsed.notAfter.toISOString(), dnsNames: have },
  };
}

/** A fresh RSA-2048 keypair for MPI's SSH between workers. */
export function generateSshKeyPair(comment = 'dynamo-mpi'): SshKeyPair {
  if (/[\r\n]/.test(comment)) throw new UserError('an SSH key comment must be a single line');
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: SSH_KEY_BITS, publicExponent: 0x10001 });
  const jwk = publicKey.export({ format: 'jwk' });
  if (jwk.e === undefined || jwk.n === undefined) throw new Error('node:crypto exported an RSA public key without e/n');
  const blob = Buffer.concat([
    sshString(Buffer.from('ssh-rsa', 'ascii')),
    sshMpint(Buffer.from(jwk.e, 'base64url')),
    sshMpint(Buffer.from(jwk.n, 'base64url')),
  ]);
  const pem = privateKey.export({ type: 'pkcs1', format: 'pem' });
  const trimmedComment = comment.trim();
  return {
    privateKey: normalizePem(typeof pem === 'string' ? pem : pem.toString('ascii')),
    publicKey: `ssh-rsa ${blob.toString('base64')}${trimmedComment === '' ? '' : ` ${trimmedComment}`}`,
  };
}

// --- helpers ---------------------------------------------------------------------------------------------

const SIGNING_ALGORITHM = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };

function webCrypto(): webcrypto.Crypto {
  const provided = globalThis.crypto;
  if (provided?.subtle === undefined) throw new Error('this Node.js has no WebCrypto (globalThis.crypto.subtle)');
  return provided;
}

async function rsaKeyPair(modulusLength: number, extractable: boolean): Promise<webcrypto.CryptoKeyPair> {
  return webCrypto().subtle.generateKey(
    { name: 'RSASSA-PKCS1-v1_5', modulusLength, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' },
    extractable,
    ['sign', 'verify'],
  );
}

/** 16 random bytes as hex, top bit clear (positive) and the next one set (no leading zero byte, never 0). */
function randomSerial(): string {
  const bytes = randomBytes(16);
  bytes[0] = ((bytes[0] ?? 0) & 0x7f) | 0x40;
  return bytes.toString('hex');
}

function toPem(label: string, der: ArrayBuffer | Uint8Array): string {
  const b64 = Buffer.from(der instanceof Uint8Array ? der : new Uint8Array(der)).toString('base64');
  const lines = b64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

/** Unix newlines, no trailing whitespace on any line, exactly one final newline. */
function normalizePem(pem: string): string {
  return `${pem
    .replace(/\r\n?/g, '\n')
    .split('\n')
    .map((line) => line.trimEnd())
    .join('\n')
    .trim()}\n`;
}

function sanDnsNames(cert: x509.X509Certificate): string[] {
  const san = cert.getExtension(x509.SubjectAlternativeNameExtension);
  if (san === null) return [];
  return san.names.items.filter((name) => name.type === 'dns').map((name) => name.value);
}

interface ParsedCertificate {
  node: NodeX509Certificate;
  parsed: x509.X509Certificate;
}

/** The first certificate of a PEM text, parsed twice (node for chain/key checks, peculiar for extensions); or why not. */
function parseCertificate(pem: string): ParsedCertificate | string {
  if (!pem.includes('-----BEGIN CERTIFICATE-----')) return 'is not a PEM certificate';
  try {
    const node = new NodeX509Certificate(pem);
    return { node, parsed: new x509.X509Certificate(new Uint8Array(node.raw)) };
  } catch (error) {
    return `is not a readable certificate (${errorText(error)})`;
  }
}

function decodeBase64(value: string): string | undefined {
  const compact = value.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(compact) || compact.length % 4 === 1) return undefined;
  return Buffer.from(compact, 'base64').toString('utf8');
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** RFC 4251 `string`: uint32 length, then the bytes. */
function sshString(bytes: Uint8Array): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(bytes.length);
  return Buffer.concat([length, bytes]);
}

/** RFC 4251 `mpint` of a non-negative big-endian magnitude: minimal bytes, a 0x00 in front if the top bit is set. */
function sshMpint(magnitude: Uint8Array): Buffer {
  let start = 0;
  while (start < magnitude.length && magnitude[start] === 0) start++;
  const digits = magnitude.subarray(start);
  if (digits.length === 0) return sshString(new Uint8Array(0));
  const needsPad = ((digits[0] ?? 0) & 0x80) !== 0;
  return sshString(needsPad ? Buffer.concat([Buffer.from([0]), digits]) : Buffer.from(digits));
}
