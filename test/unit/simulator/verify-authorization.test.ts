import { describe, expect, it } from 'vitest';
import { verifyAuthorization } from '../../../src/simulator/verify-authorization.js';
import type { AuthRequest } from '../../../src/simulator/verify-authorization.js';

// Worked vector from reference §5.2.
const DATE = 'Thu, 15 Jun 2023 09:09:30 GMT';
const NOW = Date.parse(DATE);
const CREDS = { customerId: 'demo-id', customerSecret: 'customer_secret', hmacClockSkewS: 300 };
const POST_BODY = '{"settings":{"channel":"shx001","uid":"1001","expiresAfter":0}}';

function hmacHeader(signature: string, username = 'demo-id'): string {
  return `hmac username="${username}", algorithm="hmac-sha256", headers="host date request-line digest", signature="${signature}"`;
}

function postRequest(overrides: Partial<AuthRequest> = {}): AuthRequest {
  return {
    authorization: hmacHeader('0vU9BbPExcS5SVXF6QEJ0BL0msnbh3rJh72JcmxyzcU='),
    host: 'api.agora.io',
    date: DATE,
    digest: 'SHA-256=aI8LLRrmTo9ZTh3MDEJZiIXM0iv5qzXknjhxJOnFhbU=',
    method: 'POST',
    pathWithQuery: '/na/v1/projects/APPID/rtls/ingress/streamkeys',
    body: Buffer.from(POST_BODY),
    nowMs: NOW,
    ...overrides,
  };
}

describe('verifyAuthorization', () => {
  it('accepts both worked HMAC vectors', () => {
    expect(verifyAuthorization(postRequest(), CREDS)).toEqual({ ok: true, scheme: 'hmac' });
    expect(
      verifyAuthorization(
        postRequest({
          authorization: hmacHeader('JZUufU0cepotjwgf3sLTBu3TpZFgaSF6B1zDSgdB6pg='),
          method: 'GET',
          pathWithQuery: '/na/v1/projects/APPID/rtls/ingress/online-streams',
          digest: 'SHA-256=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=',
          body: Buffer.alloc(0),
        }),
        CREDS,
      ),
    ).toEqual({ ok: true, scheme: 'hmac' });
  });

  it.each([
    ['another host', { host: 'api.agora.io:443' }],
    ['another path', { pathWithQuery: '/na/v1/projects/APPID/rtls/ingress/streamkeys?x=1' }],
    ['another method', { method: 'PUT' }],
    ['another body', { body: Buffer.from(POST_BODY.replace('1001', '1002')) }],
    ['another date header', { date: 'Thu, 15 Jun 2023 09:09:31 GMT' }],
    ['a missing Date', { date: undefined }],
    ['a missing Digest', { digest: undefined }],
    ['a date beyond the skew', { nowMs: NOW + 301_000 }],
    ['a date before the skew', { nowMs: NOW - 301_000 }],
    [
      'another username',
      { authorization: hmacHeader('0vU9BbPExcS5SVXF6QEJ0BL0msnbh3rJh72JcmxyzcU=', 'x') },
    ],
    [
      'other signed headers',
      {
        authorization: hmacHeader('0vU9BbPExcS5SVXF6QEJ0BL0msnbh3rJh72JcmxyzcU=').replace(
          'host date',
          'date host',
        ),
      },
    ],
  ])('rejects HMAC with %s', (_label, overrides) => {
    expect(verifyAuthorization(postRequest(overrides as Partial<AuthRequest>), CREDS).ok).toBe(
      false,
    );
  });

  it('skips the clock check when hmacClockSkewS is 0', () => {
    expect(
      verifyAuthorization(postRequest({ nowMs: NOW + 10 * 86_400_000 }), {
        ...CREDS,
        hmacClockSkewS: 0,
      }).ok,
    ).toBe(true);
  });

  it('accepts Basic in any case and rejects wrong credentials', () => {
    const creds = { customerId: 'demo', customerSecret: 'p@55w0rd', hmacClockSkewS: 300 };
    for (const auth of [
      'Basic ZGVtbzpwQDU1dzByZA==',
      'basic ZGVtbzpwQDU1dzByZA==',
      'BASIC ZGVtbzpwQDU1dzByZA==',
    ]) {
      expect(verifyAuthorization(postRequest({ authorization: auth }), creds)).toEqual({
        ok: true,
        scheme: 'basic',
      });
    }
    for (const auth of [
      undefined,
      '',
      'Basic',
      'Basic ZGVtbzp3cm9uZw==',
      'Bearer ZGVtbzpwQDU1dzByZA==',
    ]) {
      expect(verifyAuthorization(postRequest({ authorization: auth }), creds).ok).toBe(false);
    }
  });
});
