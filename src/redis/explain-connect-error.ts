/** Node's codes for a certificate no trusted CA signed. */
const UNTRUSTED_CERT_CODES = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
]);

/** What a TLS client sees when the server speaks plain TCP on that port. */
const NOT_TLS_MESSAGES = /wrong version number|packet length too long|unexpected eof/i;

/**
 * Why a connection to Redis failed, with what to do about it where the cause is a TLS setting
 * (ioredis and Node give the symptom only). The text holds no password: ioredis's messages and
 * Node's TLS messages never include one.
 */
export function explainConnectError(err: Error, tls: boolean): string {
  const code = (err as NodeJS.ErrnoException).code;
  const message = err.message;
  if (code !== undefined && UNTRUSTED_CERT_CODES.has(code)) {
    return `${message} (the server's TLS certificate is not signed by a CA this machine trusts: set REDIS_TLS_CA_FILE to the PEM file of the CA that signed it)`;
  }
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    return `${message} (connect by a host name the certificate lists; in cluster mode the nodes are reached by the names they announce)`;
  }
  if (code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID') {
    return `${message} (the server's TLS certificate is outside its validity period)`;
  }
  if (tls && (code === 'ETIMEDOUT' || NOT_TLS_MESSAGES.test(message))) {
    return `${message} (TLS is on: check that the server speaks TLS on this port)`;
  }
  if (!tls && code === 'ECONNRESET') {
    return `${message} (the server closed the connection: if it expects TLS, use rediss:// or REDIS_TLS=true)`;
  }
  return message;
}
