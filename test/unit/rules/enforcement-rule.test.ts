import { describe, expect, it } from 'vitest';
import { isRuleActive, matchRules, parseRuleRequest } from '../../../src/rules/index.js';
import type { EnforcementRule } from '../../../src/rules/index.js';

const APP = 'a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5';
const now = new Date('2026-06-01T12:00:00Z');

function parse(request: Record<string, unknown>) {
  return parseRuleRequest(request, { defaultAppId: APP, now });
}

function fields(request: unknown): string[] {
  const r = parseRuleRequest(request, { defaultAppId: APP, now });
  if (r.ok) throw new Error(`expected a rejection, got ${JSON.stringify(r.value)}`);
  return r.errors.map((e) => e.field);
}

function rule(request: Record<string, unknown>): EnforcementRule {
  const r = parse({ reason: 'r', forever: true, ...request });
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.value;
}

describe('parseRuleRequest', () => {
  it('builds a rule with an id, the default App ID and its expiry', () => {
    const r = parse({ uid: '4242', durationS: 86_400, reason: 'repeat violation' });
    expect(r).toMatchObject({
      ok: true,
      value: {
        appId: APP,
        uid: '4242',
        reason: 'repeat violation',
        createdAt: now.toISOString(),
        expiresAt: '2026-06-02T12:00:00.000Z',
      },
    });
    if (r.ok) expect(r.value.id).toMatch(/^r-20260601T120000Z-[0-9a-f]{8}$/);
    expect(parse({ channel: 'c', forever: true, reason: 'x' })).toMatchObject({
      ok: true,
      value: { expiresAt: null },
    });
    expect(parse({ streamKey: 'sk_1', until: '2026-07-01T00:00:00Z', reason: 'x' })).toMatchObject({
      ok: true,
      value: { expiresAt: '2026-07-01T00:00:00.000Z' },
    });
  });

  it('names every hostile field', () => {
    expect(fields(null)).toEqual(['(body)']);
    expect(fields({ forever: true, reason: 'x' })).toEqual(['channel']);
    expect(fields({ channel: 'c', uid: '1', streamKey: 'k', forever: true, reason: 'x' })).toEqual([
      'streamKey',
    ]);
    expect(fields({ channel: 'a\u0000b', forever: true, reason: 'x' })).toEqual(['channel']);
    expect(fields({ channel: 'x'.repeat(64), forever: true, reason: 'x' })).toEqual(['channel']);
    expect(fields({ uid: '0', forever: true, reason: 'x' })).toEqual(['uid']);
    expect(fields({ uid: 42, forever: true, reason: 'x' })).toEqual(['uid']);
    expect(fields({ streamKey: '../x', forever: true, reason: 'x' })).toEqual(['streamKey']);
    expect(fields({ channel: 'c', region: 'mars', forever: true, reason: 'x' })).toEqual([
      'region',
    ]);
    expect(fields({ channel: 'c', appId: 'a-b', forever: true, reason: 'x' })).toEqual(['appId']);
    expect(fields({ channel: 'c', forever: true })).toEqual(['reason']);
    expect(fields({ channel: 'c', forever: true, reason: 'a\u202eb' })).toEqual(['reason']);
    expect(fields({ channel: 'c', forever: true, reason: 'x'.repeat(501) })).toEqual(['reason']);
    expect(fields({ channel: 'c', reason: 'x' })).toEqual(['durationS']);
    expect(fields({ channel: 'c', durationS: 5, forever: true, reason: 'x' })).toEqual([
      'durationS',
    ]);
    expect(fields({ channel: 'c', durationS: 0, reason: 'x' })).toEqual(['durationS']);
    expect(fields({ channel: 'c', durationS: '24h', reason: 'x' })).toEqual(['durationS']);
    expect(fields({ channel: 'c', until: '2026-01-01T00:00:00Z', reason: 'x' })).toEqual(['until']);
    expect(fields({ channel: 'c', until: 'tomorrow', reason: 'x' })).toEqual(['until']);
    expect(fields({ channel: 'c', forever: 'yes', reason: 'x' })).toEqual(['forever']);
    expect(fields({ channel: 'c', forever: true, reason: 'x', sid: 's' })).toEqual(['sid']);
  });

  it('needs an App ID when none is configured', () => {
    const r = parseRuleRequest({ channel: 'c', forever: true, reason: 'x' }, {});
    expect(r.ok).toBe(false);
  });
});

describe('matchRules', () => {
  const push = { appId: APP, region: 'na' as const, channel: 'lobby', uid: '4242' };

  it('matches a uid rule whatever key the user pushes with', () => {
    const uidRule = rule({ uid: '4242' });
    expect(matchRules([uidRule], { ...push, streamKey: 'first' })).toBe(uidRule);
    expect(matchRules([uidRule], { ...push, streamKey: 'second-new-key' })).toBe(uidRule);
    expect(matchRules([uidRule], { ...push, uid: '1' })).toBeUndefined();
  });

  it('matches channel, channel+uid, key and region as written', () => {
    expect(matchRules([rule({ channel: 'lobby' })], push)).toBeDefined();
    expect(matchRules([rule({ channel: 'other' })], push)).toBeUndefined();
    expect(matchRules([rule({ channel: 'lobby', uid: '4242' })], push)).toBeDefined();
    expect(matchRules([rule({ channel: 'lobby', uid: '1' })], push)).toBeUndefined();
    expect(matchRules([rule({ streamKey: 'k1' })], { ...push, streamKey: 'k1' })).toBeDefined();
    // An unknown (masked) key never matches a key rule.
    expect(matchRules([rule({ streamKey: 'k1' })], push)).toBeUndefined();
    expect(matchRules([rule({ channel: 'lobby', region: 'eu' })], push)).toBeUndefined();
    expect(matchRules([rule({ channel: 'lobby', appId: 'b1' })], push)).toBeUndefined();
  });

  it('expires on its own', () => {
    const r = parse({ channel: 'c', durationS: 60, reason: 'x' });
    if (!r.ok) throw new Error('invalid');
    expect(isRuleActive(r.value, now.getTime() + 59_000)).toBe(true);
    expect(isRuleActive(r.value, now.getTime() + 60_000)).toBe(false);
  });
});
