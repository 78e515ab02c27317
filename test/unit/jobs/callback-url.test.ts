import { describe, expect, it } from 'vitest';
import { parseAllowedHost } from '../../../src/config/index.js';
import type { AllowedHost } from '../../../src/config/index.js';
import {
  checkCallbackUrl,
  parseTakedownPayload,
  parseTakedownRequest,
} from '../../../src/jobs/index.js';

const allowed = ['hooks.example.com', '*.moderation.example.org', 'alt.example.net:8443'].map(
  (h) => parseAllowedHost(h) as AllowedHost,
);
const base = { region: 'na', sid: 'sid-1', appId: 'app1' };

function parse(callbackUrl: string) {
  return parseTakedownRequest({ ...base, callbackUrl }, { callbackAllowedHosts: allowed });
}

describe('callback URL policy (issue 15)', () => {
  it.each([
    'http://127.0.0.1:8080/hook',
    'http://localhost:3000/x?token=abc',
    'https://[::1]:9000/',
    'http://127.9.9.9/',
    'https://hooks.example.com/takedowns',
    'https://hooks.example.com:443/takedowns',
    'https://a.moderation.example.org/cb',
    'https://alt.example.net:8443/cb',
  ])('accepts %s', (url) => {
    const parsed = parse(url);
    expect(parsed.ok).toBe(true);
    if (parsed.ok) expect(parsed.value.callbackUrl).toBe(url);
  });

  it.each([
    ['plain-HTTP public host (listed)', 'http://hooks.example.com/takedowns', /must use https/],
    ['plain-HTTP public host (unlisted)', 'http://example.com/', /not in CALLBACK_ALLOWED_HOSTS/],
    ['userinfo', 'https://user:pass@hooks.example.com/', /user name or password/],
    ['userinfo on loopback', 'http://admin@127.0.0.1/', /user name or password/],
    ['odd port', 'https://hooks.example.com:8443/', /port 8443 is not allowed/],
    ['odd port on a port-pinned entry', 'https://alt.example.net/', /port 443 is not allowed/],
    ['host outside the allow list', 'https://evil.example.com/', /not in CALLBACK_ALLOWED_HOSTS/],
    [
      'wildcard needs a subdomain',
      'https://moderation.example.org/',
      /not in CALLBACK_ALLOWED_HOSTS/,
    ],
    ['suffix trick', 'https://hooks.example.com.evil.io/', /not in CALLBACK_ALLOWED_HOSTS/],
    ['IPv4 literal outside loopback', 'https://10.0.0.5/', /not an IP address/],
    ['metadata address', 'http://169.254.169.254/latest/meta-data', /not an IP address/],
    ['IPv6 literal outside loopback', 'https://[fd00::1]/', /not an IP address/],
    ['integer-encoded IPv4', 'https://167772165/', /not an IP address/],
    ['another scheme', 'ftp://hooks.example.com/', /must use https/],
    ['not a URL', 'hooks.example.com/takedowns', /not an absolute URL/],
  ])('refuses %s, naming the field', (_what, url, why) => {
    const parsed = parse(url);
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.errors).toHaveLength(1);
    expect(parsed.errors[0]?.field).toBe('callbackUrl');
    expect(parsed.errors[0]?.message).toMatch(why);
    // The URL may carry a token: the message does not repeat it.
    expect(parsed.errors[0]?.message).not.toContain('pass@');
  });

  it('refuses every non-loopback host when CALLBACK_ALLOWED_HOSTS is empty', () => {
    expect(checkCallbackUrl('https://hooks.example.com/', [])).toMatch(
      /not in CALLBACK_ALLOWED_HOSTS/,
    );
    expect(checkCallbackUrl('http://127.0.0.1:1/', [])).toBeUndefined();
  });

  it('rejects IP literals and junk as CALLBACK_ALLOWED_HOSTS entries', () => {
    for (const bad of [
      '10.0.0.5',
      '127.0.0.1',
      '[::1]',
      'localhost',
      'exa mple.com',
      'a.com:99999',
    ]) {
      expect(parseAllowedHost(bad), bad).toBeUndefined();
    }
    expect(parseAllowedHost('*.Example.COM:8443')).toEqual({
      host: 'example.com',
      wildcard: true,
      port: 8443,
    });
  });
});

describe('moderation fields (issue 15)', () => {
  const full = {
    ...base,
    reason: 'terms 4.2: live violence',
    decisionGround: 'DECISION_GROUND_INCOMPATIBLE_CONTENT',
    legalGround: 'Terms of service §4.2',
    category: 'STATEMENT_CATEGORY_VIOLENCE',
    facts: 'Stream showed graphic violence at 12:03 UTC.',
    automatedDetection: 'yes',
    automatedDecision: 'AUTOMATED_DECISION_PARTIALLY',
    territorialScope: 'de, FR',
  };

  it('accepts a complete decision, normalising CSV-style values', () => {
    const parsed = parseTakedownRequest(full);
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(parsed.value).toMatchObject({
      decisionGround: 'DECISION_GROUND_INCOMPATIBLE_CONTENT',
      automatedDetection: true,
      territorialScope: ['DE', 'FR'],
    });
  });

  it('requires every statement field once one is given, naming each missing field', () => {
    const parsed = parseTakedownRequest({ ...base, category: 'STATEMENT_CATEGORY_VIOLENCE' });
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.errors.map((e) => e.field).sort()).toEqual(
      [
        'automatedDecision',
        'automatedDetection',
        'decisionGround',
        'facts',
        'legalGround',
        'reason',
      ].sort(),
    );
  });

  it.each([
    ['decisionGround', 'ILLEGAL', /decisionGround must be one of DECISION_GROUND_ILLEGAL_CONTENT/],
    ['category', 'violence', /category must be a DSA statement category/],
    ['automatedDetection', 'maybe', /automatedDetection must be true or false/],
    ['automatedDecision', 'FULLY', /automatedDecision must be one of AUTOMATED_DECISION_FULLY/],
    ['territorialScope', 'US', /territorialScope must hold EU\/EEA country codes/],
    ['sourceType', 'EMAIL', /sourceType must be one of SOURCE_ARTICLE_16/],
    ['facts', 'x'.repeat(5001), /facts is 5001 characters long; at most 5000/],
  ])('names %s when its value is not allowed', (field, value, why) => {
    const parsed = parseTakedownRequest({ ...full, [field]: value });
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.errors).toEqual([{ field, message: expect.stringMatching(why) as string }]);
  });

  it('stored payloads must hold booleans and arrays, not CSV strings', () => {
    const parsed = parseTakedownRequest(full);
    if (!parsed.ok) throw new Error('setup');
    expect(parseTakedownPayload(parsed.value).ok).toBe(true);
    const stored = parseTakedownPayload({ ...parsed.value, automatedDetection: 'yes' });
    expect(stored.ok).toBe(false);
    if (!stored.ok) expect(stored.errors[0]?.field).toBe('automatedDetection');
  });
});
