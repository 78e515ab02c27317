import { describe, expect, it } from 'vitest';
import {
  MAX_REQUEST_IDS,
  initialProgress,
  parseTakedownProgress,
} from '../../../src/jobs/index.js';
import { withRequestId } from '../../../src/jobs/takedown-progress.js';

describe('takedown progress', () => {
  it('survives a JSON round trip', () => {
    const progress = {
      ...initialProgress(),
      step: 'verify' as const,
      streamKey: 'k',
      channel: 'c',
      sids: ['a', 'b'],
      revoked: { na: 'deleted' as const, eu: 'not-found' as const },
      disconnected: { a: 'disconnected' as const, b: 'not-found' as const },
      verifyRounds: 1,
      resolvedLive: true,
      requestIds: ['r1'],
    };
    expect(parseTakedownProgress(JSON.parse(JSON.stringify(progress)))).toEqual(progress);
  });

  it('keeps where each extra region stands across a JSON round trip', () => {
    const progress = {
      ...initialProgress(),
      step: 'extra-regions' as const,
      streamKey: 'k',
      sids: ['a', 'b'],
      sidRegions: { b: 'eu' as const },
      swept: ['eu' as const],
      failedRegions: { ap: 'delete-key HTTP 403 "Forbidden."' },
      revoked: { na: 'deleted' as const, eu: 'deleted' as const },
    };
    expect(parseTakedownProgress(JSON.parse(JSON.stringify(progress)))).toEqual(progress);
  });

  it.each([
    undefined,
    null,
    'resolve',
    { ...initialProgress(), step: 'launch' },
    { ...initialProgress(), revoked: { mars: 'deleted' } },
    { ...initialProgress(), disconnected: { a: 'maybe' } },
    { ...initialProgress(), verifyRounds: -1 },
    { ...initialProgress(), sids: [1] },
    { ...initialProgress(), swept: ['mars'] },
    { ...initialProgress(), sidRegions: { a: 'mars' } },
    { ...initialProgress(), failedRegions: { eu: 3 } },
  ])('reads malformed progress %j as absent (start over: every step is idempotent)', (value) => {
    expect(parseTakedownProgress(value)).toBeUndefined();
  });

  it('keeps a SID named __proto__ as data, not as a prototype', () => {
    const parsed = parseTakedownProgress(
      JSON.parse(
        `{"step":"disconnect","sids":["__proto__"],"revoked":{},"disconnected":{"__proto__":"disconnected"},"foundByVerify":[],"verifyRounds":0,"resolvedLive":true,"requestIds":[]}`,
      ),
    );
    expect(parsed && Object.hasOwn(parsed.disconnected, '__proto__')).toBe(true);
    expect(Object.getPrototypeOf(parsed?.disconnected)).toBe(Object.prototype);
  });

  it('bounds the request ids to the newest ones', () => {
    let progress = initialProgress();
    for (let i = 1; i <= MAX_REQUEST_IDS + 10; i++) progress = withRequestId(progress, `r${i}`);
    expect(progress.requestIds).toHaveLength(MAX_REQUEST_IDS);
    expect(progress.requestIds[0]).toBe('r11');
    expect(progress.requestIds.at(-1)).toBe(`r${MAX_REQUEST_IDS + 10}`);
  });
});
