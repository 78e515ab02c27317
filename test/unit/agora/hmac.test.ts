import { describe, expect, it } from 'vitest';
import {
  buildBasicAuthorization,
  buildHmacAuthorization,
  computeHmacSignature,
} from '../../../src/agora/hmac.js';

const common = {
  customerSecret: 'customer_secret',
  host: 'api.agora.io',
  date: 'Thu, 15 Jun 2023 09:09:30 GMT',
};

describe('computeHmacSignature', () => {
  it('matches the reference POST vector (create key with a JSON body)', () => {
    const result = computeHmacSignature({
      ...common,
      method: 'POST',
      pathWithQuery: '/na/v1/projects/APPID/rtls/ingress/streamkeys',
      body: '{"settings":{"channel":"shx001","uid":"1001","expiresAfter":0}}',
    });
    expect(result).toEqual({
      digest: 'SHA-256=aI8LLRrmTo9ZTh3MDEJZiIXM0iv5qzXknjhxJOnFhbU=',
      signature: '0vU9BbPExcS5SVXF6QEJ0BL0msnbh3rJh72JcmxyzcU=',
    });
  });

  it('matches the reference GET vector (empty body)', () => {
    const result = computeHmacSignature({
      ...common,
      method: 'GET',
      pathWithQuery: '/na/v1/projects/APPID/rtls/ingress/online-streams',
      body: '',
    });
    expect(result).toEqual({
      digest: 'SHA-256=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=',
      signature: 'JZUufU0cepotjwgf3sLTBu3TpZFgaSF6B1zDSgdB6pg=',
    });
  });

  it('treats a byte body like the same string and lower-case methods like upper-case', () => {
    const body = '{"settings":{"channel":"shx001","uid":"1001","expiresAfter":0}}';
    const path = '/na/v1/projects/APPID/rtls/ingress/streamkeys';
    const asString = computeHmacSignature({ ...common, method: 'POST', pathWithQuery: path, body });
    const asBytes = computeHmacSignature({
      ...common,
      method: 'post',
      pathWithQuery: path,
      body: new TextEncoder().encode(body),
    });
    expect(asBytes).toEqual(asString);
  });

  it('signs host (with port) and query string, so changing either changes the signature', () => {
    const base = {
      ...common,
      method: 'GET',
      pathWithQuery: '/na/v1/projects/APPID/rtls/ingress/online-streams',
      body: '',
    };
    const plain = computeHmacSignature(base).signature;
    expect(computeHmacSignature({ ...base, host: 'api.agora.io:8443' }).signature).not.toBe(plain);
    expect(
      computeHmacSignature({ ...base, pathWithQuery: `${base.pathWithQuery}?channel=a` }).signature,
    ).not.toBe(plain);
  });
});

describe('authorization headers', () => {
  it('builds the HMAC header in the documented format', () => {
    expect(buildHmacAuthorization('demo-id', '0vU9BbPExcS5SVXF6QEJ0BL0msnbh3rJh72JcmxyzcU=')).toBe(
      'hmac username="demo-id", algorithm="hmac-sha256", headers="host date request-line digest", signature="0vU9BbPExcS5SVXF6QEJ0BL0msnbh3rJh72JcmxyzcU="',
    );
  });

  it('builds the Basic header from the documented example', () => {
    expect(buildBasicAuthorization('demo', 'p@55w0rd')).toBe('Basic ZGVtbzpwQDU1dzByZA==');
  });
});
