import { describe, expect, it } from 'vitest';
import { rateLimitKey } from '../../../src/jobs/index.js';
import { escapeGlob, parseRateLimitKey, toLimiterState } from '../../../src/producer/stats.js';

describe('limiter keys', () => {
  it('parses appId and class from a limiter key, also under a hash-tag prefix', () => {
    for (const prefix of ['takedown', '{takedown}', 'a:b']) {
      const key = rateLimitKey(prefix, '0123456789abcdef0123456789abcdef', 'delete');
      expect(parseRateLimitKey(prefix, key)).toEqual({
        appId: '0123456789abcdef0123456789abcdef',
        cls: 'delete',
      });
    }
    expect(parseRateLimitKey('takedown', 'takedown:batch:x')).toBeUndefined();
    expect(parseRateLimitKey('takedown', 'takedown:ratelimit:noclass')).toBeUndefined();
  });

  it('escapes glob characters of a prefix for SCAN MATCH', () => {
    expect(escapeGlob('{takedown}')).toBe('{takedown}');
    expect(escapeGlob('a*b?[c]\\')).toBe('a\\*b\\?\\[c\\]\\\\');
  });

  it('backlog is the theoretical arrival time ahead of now, never negative', () => {
    const parts = { appId: 'a1', cls: 'query' };
    expect(toLimiterState(parts, '10500', 10_000)).toEqual({ ...parts, backlogMs: 500 });
    expect(toLimiterState(parts, '9000', 10_000)).toEqual({ ...parts, backlogMs: 0 });
    expect(toLimiterState(parts, 'garbage', 10_000)).toBeUndefined();
  });
});
