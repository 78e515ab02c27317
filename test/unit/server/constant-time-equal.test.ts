import { describe, expect, it } from 'vitest';
import { constantTimeEqual, createSecretMatcher } from '../../../src/server/index.js';

describe('constantTimeEqual', () => {
  it('is true only for identical strings, whatever the lengths', () => {
    expect(constantTimeEqual('s3cret', 's3cret')).toBe(true);
    expect(constantTimeEqual('s3cret', 's3cre')).toBe(false);
    expect(constantTimeEqual('s3cret', 's3cret ')).toBe(false);
    expect(constantTimeEqual('', '')).toBe(true);
    expect(constantTimeEqual('', 'x')).toBe(false);
    expect(constantTimeEqual('pässword', 'pässword')).toBe(true);
    expect(constantTimeEqual('pässword', 'password')).toBe(false);
  });
});

describe('createSecretMatcher', () => {
  it('matches any of the secrets and nothing else', () => {
    const matches = createSecretMatcher(['alpha-token', 'beta-token']);
    expect(matches('alpha-token')).toBe(true);
    expect(matches('beta-token')).toBe(true);
    expect(matches('gamma-token')).toBe(false);
    expect(matches('alpha-toke')).toBe(false);
    expect(matches('')).toBe(false);
    expect(createSecretMatcher([])('anything')).toBe(false);
  });
});
