import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../../src/agora/errors.js';
import {
  assertAppId,
  assertChannel,
  assertCreateKeySettings,
  assertRegion,
  assertSid,
  assertStreamKey,
  isValidAppId,
  isValidChannel,
  isValidRegion,
  isValidSid,
  isValidStreamKey,
  onlineStreamPath,
  onlineStreamsPath,
  parseStreamKeyFromUrl,
  streamKeyPath,
  streamKeysPath,
} from '../../../src/agora/paths.js';

/** Values that must never reach a URL path segment. */
const HOSTILE: ReadonlyArray<[string, unknown]> = [
  ['slash', 'abc/def'],
  ['leading slash', '/abc'],
  ['dot-dot', '..'],
  ['dot', '.'],
  ['dot-dot traversal', '../streamkeys'],
  ['encoded dot-dot', '%2e%2e'],
  ['mixed encoded dot-dot', '.%2E'],
  ['encoded slash', 'abc%2Fdef'],
  ['question mark', 'abc?channel=x'],
  ['hash', 'abc#frag'],
  ['space', 'abc def'],
  ['tab', 'abc\tdef'],
  ['newline', 'abc\ndef'],
  ['CRLF header injection', 'abc\r\nX-Evil: 1'],
  ['control char', 'abc\u0001def'],
  ['NUL', 'abc\u0000def'],
  ['DEL', 'abc\u007fdef'],
  ['10 kB string', 'a'.repeat(10_240)],
  ['256 chars', 'a'.repeat(256)],
  ['empty', ''],
  ['unicode', 'clé'],
  ['emoji', 'stream🔥'],
  ['fullwidth slash', 'abc／def'],
  ['backslash', 'abc\\def'],
  ['semicolon', 'abc;def'],
  ['at sign (authority confusion)', 'user@host'],
  ['colon', 'a:b'],
  ['number', 123],
  ['null', null],
  ['undefined', undefined],
  ['object', { toString: () => 'abc' }],
];

describe('SID and stream key validation', () => {
  it.each(HOSTILE)('rejects %s as a sid and as a stream key', (_label, value) => {
    expect(isValidSid(value)).toBe(false);
    expect(isValidStreamKey(value)).toBe(false);
    expect(() => assertSid(value)).toThrow(InvalidArgumentError);
    expect(() => assertStreamKey(value)).toThrow(InvalidArgumentError);
  });

  it.each([
    'eba0c189-15ab-b852-b51d-6705aa0000ce',
    '2dfMTRxyzfys',
    'pIdY42WEm5abcfblM-Q8M1vMMXQ',
    'a_b~c.d-e',
    '...',
    '.hidden',
    'a'.repeat(255),
  ])('accepts %s', (value) => {
    expect(isValidSid(value)).toBe(true);
    expect(isValidStreamKey(value)).toBe(true);
  });

  it('names the field and what is allowed, and never echoes a huge value', () => {
    const err = (() => {
      try {
        assertStreamKey('x'.repeat(10_240));
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(InvalidArgumentError);
    const e = err as InvalidArgumentError;
    expect(e.field).toBe('streamKey');
    expect(e.name).toBe('InvalidArgumentError');
    expect(e.retryable).toBe(false);
    expect(e.message).toContain('streamKey');
    expect(e.message).toContain("not '.' or '..'");
    expect(e.message).toContain('a 10240-character value');
    // A key is a credential: not even a slice of it is echoed.
    expect(e.message).not.toContain('xxxx');
    expect(e.message.length).toBeLessThan(200);
  });

  it('escapes control characters in the message', () => {
    expect(() => assertSid('a\r\nb')).toThrow(/"a\\r\\nb"/);
  });
});

describe('region, app ID and channel validation', () => {
  it.each(['na', 'eu', 'ap', 'cn'])('accepts region %s', (region) => {
    expect(isValidRegion(region)).toBe(true);
  });

  it.each(['NA', 'us', '', ' na', 'na/', '../na', 'na\n', null])('rejects region %j', (region) => {
    expect(isValidRegion(region)).toBe(false);
    expect(() => assertRegion(region)).toThrow(/Invalid region: expected one of na, eu, ap, cn/);
  });

  it('accepts alphanumeric app IDs up to 64 chars and rejects the hostile values', () => {
    expect(isValidAppId('0123456789abcdef0123456789ABCDEF')).toBe(true);
    expect(isValidAppId('a'.repeat(64))).toBe(true);
    expect(isValidAppId('a'.repeat(65))).toBe(false);
    expect(isValidAppId('app-id')).toBe(false);
    for (const [, value] of HOSTILE) expect(isValidAppId(value)).toBe(false);
    expect(() => assertAppId('a/b')).toThrow(/Invalid appId: expected 1–64 characters A-Z a-z 0-9/);
  });

  it("accepts channels of Agora's 89-character alphabet under 64 bytes", () => {
    expect(isValidChannel('shx001')).toBe(true);
    expect(isValidChannel('a b!#$%&()+-:;<=.>?@[]^_{}|~,')).toBe(true);
    expect(isValidChannel('c'.repeat(63))).toBe(true);
    expect(isValidChannel('c'.repeat(64))).toBe(false);
    expect(isValidChannel('')).toBe(false);
    for (const bad of ['a/b', 'a\\b', 'a"b', "a'b", 'a*b', 'a\nb', 'é', '🔥', 'a`b']) {
      expect(isValidChannel(bad)).toBe(false);
    }
    expect(() => assertChannel('a/b')).toThrow(/Invalid channel/);
  });
});

describe('path building', () => {
  const ref = { region: 'na', appId: 'APPID' } as const;

  it('builds the documented paths', () => {
    expect(streamKeysPath(ref)).toBe('/na/v1/projects/APPID/rtls/ingress/streamkeys');
    expect(streamKeyPath({ ...ref, streamKey: 'k1' })).toBe(
      '/na/v1/projects/APPID/rtls/ingress/streamkeys/k1',
    );
    expect(onlineStreamsPath(ref)).toBe('/na/v1/projects/APPID/rtls/ingress/online-streams');
    expect(onlineStreamPath({ ...ref, sid: 's-1' })).toBe(
      '/na/v1/projects/APPID/rtls/ingress/online-streams/s-1',
    );
  });

  it('URL-encodes the channel filter so it cannot add parameters or fragments', () => {
    expect(onlineStreamsPath({ ...ref, channel: 'a b&c=d#e?f%g' })).toBe(
      '/na/v1/projects/APPID/rtls/ingress/online-streams?channel=a%20b%26c%3Dd%23e%3Ff%25g',
    );
  });

  it('validates every segment before building', () => {
    expect(() => streamKeyPath({ region: 'na', appId: 'APPID', streamKey: '..' })).toThrow(
      expect.objectContaining({ field: 'streamKey' }),
    );
    expect(() => onlineStreamPath({ region: 'xx', appId: 'APPID', sid: 's' })).toThrow(
      expect.objectContaining({ field: 'region' }),
    );
    expect(() => onlineStreamPath({ region: 'na', appId: '../x', sid: 's' })).toThrow(
      expect.objectContaining({ field: 'appId' }),
    );
    expect(() => onlineStreamsPath({ ...ref, channel: '' })).toThrow(
      expect.objectContaining({ field: 'channel' }),
    );
  });
});

describe('create-key settings', () => {
  it('accepts documented combinations', () => {
    expect(() =>
      assertCreateKeySettings({ channel: 'shx001', uid: '1001', expiresAfter: 0 }),
    ).not.toThrow();
    expect(() =>
      assertCreateKeySettings({ channel: '', uid: '1001', expiresAfter: 60 }),
    ).not.toThrow();
    expect(() =>
      assertCreateKeySettings({ channel: 'c', uid: '', expiresAfter: 60 }),
    ).not.toThrow();
  });

  it.each([
    [{ channel: '', uid: '', expiresAfter: 0 }, 'channel'],
    [{ channel: '', uid: '0', expiresAfter: 0 }, 'channel'],
    [{ channel: 'a/b', uid: '1', expiresAfter: 0 }, 'channel'],
    [{ channel: 'c', uid: 'x'.repeat(256), expiresAfter: 0 }, 'uid'],
    [{ channel: 'c', uid: '1', expiresAfter: -1 }, 'expiresAfter'],
    [{ channel: 'c', uid: '1', expiresAfter: 1.5 }, 'expiresAfter'],
    [{ channel: 'c', uid: '1', expiresAfter: 0, templateId: 'too-long-template' }, 'templateId'],
  ])('rejects %j naming %s', (input, field) => {
    expect(() => assertCreateKeySettings(input)).toThrow(expect.objectContaining({ field }));
  });
});

describe('parseStreamKeyFromUrl', () => {
  it.each([
    [
      'shxtest1-rtcpush-test-cn.agoramdn.com/live/pIdY42WEm5fblM-Q8M1vMMXQ',
      'pIdY42WEm5fblM-Q8M1vMMXQ',
    ],
    ['rtls-ingress-prod-na.agoramdn.com:1935/live/key_1', 'key_1'],
    ['rtmp://rtls-ingress-prod-na.agoramdn.com/live/key2', 'key2'],
    ['host/live/key3/', 'key3'],
    ['host/live/key4?token=x', 'key4'],
    ['live/key5', 'key5'],
  ])('reads the key from %s', (url, key) => {
    expect(parseStreamKeyFromUrl(url)).toBe(key);
  });

  it.each([
    '',
    'host',
    'host/live',
    'host/live/',
    'host/other/key',
    'host/live/key/extra',
    'host/alive/key',
  ])('returns undefined for %j', (url) => {
    expect(parseStreamKeyFromUrl(url)).toBeUndefined();
  });
});
