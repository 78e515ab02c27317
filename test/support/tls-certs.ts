import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generate } from 'selfsigned';

/** PEM files of a throw-away CA and a server certificate it signed. */
export interface TestCertificates {
  /** The CA certificate: what `REDIS_TLS_CA_FILE` names. */
  caFile: string;
  certFile: string;
  keyFile: string;
}

export interface TestCertificateOptions {
  /** DNS names the server certificate is for. */
  dnsNames: readonly string[];
  /** IP addresses the server certificate is for (none: a client must connect by name). */
  ips?: readonly string[];
}

const DAY_MS = 86_400_000;

/**
 * Writes a fresh CA and a server certificate for `dnsNames`/`ips` into `dir` (generated in
 * process, so the tests need no openssl). Valid from yesterday for two days.
 */
export async function writeTestCertificates(
  dir: string,
  options: TestCertificateOptions,
): Promise<TestCertificates> {
  const notBeforeDate = new Date(Date.now() - DAY_MS);
  const notAfterDate = new Date(Date.now() + DAY_MS);
  const ca = await generate([{ name: 'commonName', value: 'takedown test CA' }], {
    keyType: 'ec',
    algorithm: 'sha256',
    notBeforeDate,
    notAfterDate,
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    ],
  });
  const server = await generate([{ name: 'commonName', value: options.dnsNames[0] ?? 'server' }], {
    keyType: 'ec',
    algorithm: 'sha256',
    notBeforeDate,
    notAfterDate,
    ca: { key: ca.private, cert: ca.cert },
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
      { name: 'extKeyUsage', serverAuth: true, clientAuth: true },
      {
        name: 'subjectAltName',
        altNames: [
          ...options.dnsNames.map((value) => ({ type: 2 as const, value })),
          ...(options.ips ?? []).map((ip) => ({ type: 7 as const, ip })),
        ],
      },
    ],
  });
  const files: TestCertificates = {
    caFile: join(dir, 'ca.pem'),
    certFile: join(dir, 'server.pem'),
    keyFile: join(dir, 'server.key'),
  };
  await writeFile(files.caFile, ca.cert);
  await writeFile(files.certFile, server.cert);
  await writeFile(files.keyFile, server.private, { mode: 0o600 });
  return files;
}

/**
 * redis-server arguments for a TLS port with `certs` (clients need no certificate of their
 * own); replication uses TLS too.
 */
export function redisTlsArgs(tlsPort: number, certs: TestCertificates): string[] {
  // prettier-ignore
  return [
    '--tls-port', String(tlsPort),
    '--tls-cert-file', certs.certFile,
    '--tls-key-file', certs.keyFile,
    '--tls-ca-cert-file', certs.caFile,
    '--tls-auth-clients', 'no',
    '--tls-replication', 'yes',
  ];
}
