import { describe, expect, it } from 'vitest';
import { explainConnectError } from '../../../src/redis/index.js';

function withCode(message: string, code: string): Error {
  return Object.assign(new Error(message), { code });
}

describe('explainConnectError: a failed Redis connection says what to change', () => {
  it.each([
    ['SELF_SIGNED_CERT_IN_CHAIN', 'self-signed certificate in certificate chain'],
    ['DEPTH_ZERO_SELF_SIGNED_CERT', 'self-signed certificate'],
    ['UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'unable to verify the first certificate'],
    ['UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'unable to get local issuer certificate'],
  ])('an untrusted certificate (%s) names REDIS_TLS_CA_FILE', (code, message) => {
    const text = explainConnectError(withCode(message, code), true);
    expect(text.startsWith(message)).toBe(true);
    expect(text).toContain('set REDIS_TLS_CA_FILE to the PEM file of the CA that signed it');
  });

  it('a certificate for other names says to connect by a name it lists', () => {
    const err = withCode(
      "Hostname/IP does not match certificate's altnames: IP: 10.0.0.5 is not in the cert's list: ",
      'ERR_TLS_CERT_ALTNAME_INVALID',
    );
    expect(explainConnectError(err, true)).toContain(
      'connect by a host name the certificate lists',
    );
  });

  it('an expired certificate says so', () => {
    expect(
      explainConnectError(withCode('certificate has expired', 'CERT_HAS_EXPIRED'), true),
    ).toContain('outside its validity period');
  });

  it('TLS against a plain port, and plain TCP against a TLS port, say which side to check', () => {
    expect(explainConnectError(withCode('connect ETIMEDOUT', 'ETIMEDOUT'), true)).toContain(
      'check that the server speaks TLS on this port',
    );
    expect(explainConnectError(new Error('ssl3_get_record:wrong version number'), true)).toContain(
      'speaks TLS',
    );
    expect(explainConnectError(withCode('read ECONNRESET', 'ECONNRESET'), false)).toContain(
      'use rediss:// or REDIS_TLS=true',
    );
  });

  it('leaves other errors as they are', () => {
    expect(
      explainConnectError(withCode('connect ECONNREFUSED 127.0.0.1:1', 'ECONNREFUSED'), false),
    ).toBe('connect ECONNREFUSED 127.0.0.1:1');
    // A timeout without TLS is not a TLS mistake.
    expect(explainConnectError(withCode('connect ETIMEDOUT', 'ETIMEDOUT'), false)).toBe(
      'connect ETIMEDOUT',
    );
    expect(explainConnectError(withCode('read ECONNRESET', 'ECONNRESET'), true)).toBe(
      'read ECONNRESET',
    );
  });
});
