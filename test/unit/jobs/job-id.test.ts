import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import {
  expiryJobId,
  legacyExpiryJobId,
  legacyKeyJobId,
  maskJobId,
  maskStreamKey,
  maskStreamKeys,
  parseJobId,
  streamKeyFingerprint,
  takedownJobId,
  toJobId,
} from '../../../src/jobs/index.js';

const LONG_KEY = '2dfMTRxq7bE9wLkfys';

describe('takedownJobId', () => {
  it('is derived from (appId, sid) when a SID is given, whatever else the request says', () => {
    expect(takedownJobId({ appId: 'app1', sid: 'eba0c189-15ab-b852-b51d-670500000ce' })).toBe(
      'sid-app1-eba0c189-15ab-b852-b51d-670500000ce',
    );
    expect(takedownJobId({ appId: 'app1', sid: 's1', streamKey: 'k1' })).toBe(
      takedownJobId({ appId: 'app1', sid: 's1' }),
    );
  });

  it('falls back to (appId, fingerprint of the key) for a key-only takedown', () => {
    const fingerprint = createHash('sha256').update('app1:k_1.x~y-z').digest('hex').slice(0, 24);
    expect(takedownJobId({ appId: 'app1', streamKey: 'k_1.x~y-z' })).toBe(
      `key-app1-${fingerprint}`,
    );
    expect(expiryJobId({ appId: 'app1', streamKey: 'k_1.x~y-z' })).toBe(
      `expire-app1-${fingerprint}`,
    );
    expect(streamKeyFingerprint('app1', 'k_1.x~y-z')).toBe(fingerprint);
  });

  it('never contains the stream key, and keeps keys and App IDs apart', () => {
    const id = takedownJobId({ appId: 'app1', streamKey: LONG_KEY });
    expect(id).not.toContain(LONG_KEY);
    expect(expiryJobId({ appId: 'app1', streamKey: LONG_KEY })).not.toContain(LONG_KEY);
    expect(takedownJobId({ appId: 'app2', streamKey: LONG_KEY })).not.toBe(
      id.replace('app1', 'app2'),
    );
    expect(takedownJobId({ appId: 'app1', streamKey: `${LONG_KEY}x` })).not.toBe(id);
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
    { kind: 'key' as const, appId: 'app1', fingerprint: streamKeyFingerprint('app1', 'k-1_x') },
    { kind: 'expire' as const, appId: 'APP9', fingerprint: streamKeyFingerprint('APP9', 'abc') },
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
    'key-app1-k-1_x',
    'expire-app1-0123456789abcdef0123456X',
  ])('rejects %j', (id) => {
    expect(parseJobId(id)).toBeUndefined();
  });
});

describe('stream key masking', () => {
  it('shows the first 4 and last 3 characters of a key, as Agora does', () => {
    expect(maskStreamKey(LONG_KEY)).toBe('2dfM…fys');
  });

  it('shows nothing of a short key, where 7 characters would be most of it', () => {
    expect(maskStreamKey('k-short')).toBe('…');
    expect(maskStreamKey('abcdefghijklmno')).toBe('…');
  });

  it('masks the key inside a legacy job id and leaves current ids alone', () => {
    expect(maskJobId(legacyKeyJobId({ appId: 'app1', streamKey: LONG_KEY }))).toBe(
      'key-app1-2dfM…fys',
    );
    expect(maskJobId(legacyExpiryJobId({ appId: 'app1', streamKey: LONG_KEY }))).toBe(
      'expire-app1-2dfM…fys',
    );
    const current = takedownJobId({ appId: 'app1', streamKey: LONG_KEY });
    expect(maskJobId(current)).toBe(current);
    expect(maskJobId('sid-app1-s1')).toBe('sid-app1-s1');
  });

  it('masks streamKey fields and legacy job ids at any depth, without changing the input', () => {
    const legacy = legacyKeyJobId({ appId: 'a', streamKey: LONG_KEY });
    const input = {
      jobId: legacy,
      payload: { streamKey: LONG_KEY, sid: 's1' },
      progress: { streamKey: LONG_KEY },
      list: [{ streamKey: LONG_KEY }],
      streamKeys: [LONG_KEY],
    };
    const masked = maskStreamKeys(input);
    expect(JSON.stringify(masked)).not.toContain(LONG_KEY);
    expect(masked.payload).toEqual({ streamKey: '2dfM…fys', sid: 's1' });
    expect(input.payload.streamKey).toBe(LONG_KEY);
  });
});
