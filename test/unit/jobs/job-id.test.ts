import { describe, expect, it } from 'vitest';
import { expiryJobId, parseJobId, takedownJobId, toJobId } from '../../../src/jobs/index.js';

describe('takedownJobId', () => {
  it('is derived from (appId, sid) when a SID is given, whatever else the request says', () => {
    expect(takedownJobId({ appId: 'app1', sid: 'eba0c189-15ab-b852-b51d-670500000ce' })).toBe(
      'sid-app1-eba0c189-15ab-b852-b51d-670500000ce',
    );
    expect(takedownJobId({ appId: 'app1', sid: 's1', streamKey: 'k1' })).toBe(
      takedownJobId({ appId: 'app1', sid: 's1' }),
    );
  });

  it('falls back to (appId, streamKey) for a key-only takedown', () => {
    expect(takedownJobId({ appId: 'app1', streamKey: 'k_1.x~y-z' })).toBe('key-app1-k_1.x~y-z');
  });

  it('keeps a SID and a key with the same text apart', () => {
    expect(takedownJobId({ appId: 'a', sid: 'same' })).not.toBe(
      takedownJobId({ appId: 'a', streamKey: 'same' }),
    );
    expect(takedownJobId({ appId: 'a', streamKey: 'same' })).not.toBe(
      expiryJobId({ appId: 'a', streamKey: 'same' }),
    );
  });

  it('keeps App IDs apart', () => {
    expect(takedownJobId({ appId: 'a1', sid: 's' })).not.toBe(
      takedownJobId({ appId: 'a2', sid: 's' }),
    );
  });

  it('never contains a colon and is never all digits', () => {
    const ids = [
      takedownJobId({ appId: '123', sid: '456' }),
      takedownJobId({ appId: 'a', sid: 'x:y' }),
      takedownJobId({ appId: 'a:b', streamKey: '::' }),
      expiryJobId({ appId: '1', streamKey: '2' }),
    ];
    for (const id of ids) {
      expect(id).not.toContain(':');
      expect(id).not.toMatch(/^\d+$/);
    }
    expect(takedownJobId({ appId: 'a', sid: 'x:y' })).toBe('sid-a-x%3Ay');
  });

  it('escapes a dash in an App ID so the first dash still ends it', () => {
    const id = takedownJobId({ appId: 'a-b', sid: 'c' });
    expect(id).toBe('sid-a%2Db-c');
    expect(parseJobId(id)).toEqual({ kind: 'sid', appId: 'a-b', sid: 'c' });
  });

  it('needs a sid or a streamKey', () => {
    expect(() => takedownJobId({ appId: 'a' })).toThrow(/without a sid or a streamKey/);
    expect(() => takedownJobId({ appId: 'a', sid: '' })).toThrow(/without a sid or a streamKey/);
  });
});

describe('parseJobId', () => {
  it.each([
    { kind: 'sid' as const, appId: 'app1', sid: 'eba0c189-15ab-b852' },
    { kind: 'key' as const, appId: 'app1', streamKey: 'k-1_x' },
    { kind: 'expire' as const, appId: 'APP9', streamKey: 'abc' },
    { kind: 'sid' as const, appId: 'a', sid: 'odd/chars: é 🚫' },
  ])('round-trips %o', (parsed) => {
    const id = toJobId(parsed);
    expect(parseJobId(id)).toEqual(parsed);
  });

  it.each([
    '',
    'sid',
    'sid-app',
    'sid--x',
    'foo-app-x',
    '123',
    'sid-app-%zz',
    'sid-a-%61',
    'sid-a:b-c',
  ])('rejects %j', (id) => {
    expect(parseJobId(id)).toBeUndefined();
  });
});
