import { describe, expect, it } from 'vitest';
import { parseCreateKeyBody } from '../../../src/simulator/parse-create-key-body.js';

function parse(body: unknown) {
  return parseCreateKeyBody(Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)));
}

describe('parseCreateKeyBody', () => {
  it('accepts a documented body', () => {
    expect(
      parse({ settings: { channel: 'shx001', uid: '1001', expiresAfter: 0, templateId: 'abc' } }),
    ).toEqual({
      ok: true,
      settings: { channel: 'shx001', uid: '1001', expiresAfter: 0, templateId: 'abc' },
    });
  });

  it('accepts the full channel alphabet', () => {
    const channel = 'aZ09 !#$%&()+-:;<=.>?@[]^_{}|~,';
    expect(parse({ settings: { channel, uid: 'u', expiresAfter: 1 } })).toMatchObject({
      ok: true,
      settings: { channel },
    });
  });

  it('normalises numeric UIDs and keeps string UIDs', () => {
    const uid = (u: string) => {
      const r = parse({ settings: { channel: 'c', uid: u, expiresAfter: 0 } });
      return r.ok ? r.settings.uid : r.message;
    };
    expect(uid('0123')).toBe('123');
    expect(uid('4294967295')).toBe('4294967295');
    expect(uid('4294967296')).toBe('4294967296');
    expect(uid('123abc')).toBe('123abc');
    expect(Number(uid('0'))).toBeGreaterThan(0);
    expect(Number(uid(''))).toBeGreaterThan(0);
  });

  it.each([
    ['not JSON', '{', 'Invalid settings.'],
    ['an array', [], 'Invalid settings.'],
    ['no settings', {}, 'Invalid settings.'],
    ['settings null', { settings: null }, 'Invalid settings.'],
    [
      'numeric channel',
      { settings: { channel: 5, uid: '1', expiresAfter: 0 } },
      'Invalid settings.',
    ],
    ['numeric uid', { settings: { channel: 'c', uid: 1, expiresAfter: 0 } }, 'Invalid settings.'],
    [
      'uid too long',
      { settings: { channel: 'c', uid: 'u'.repeat(256), expiresAfter: 0 } },
      'Invalid settings.',
    ],
    [
      'uid with a slash',
      { settings: { channel: 'c', uid: 'a/b', expiresAfter: 0 } },
      'Invalid settings.',
    ],
    ['missing expiresAfter', { settings: { channel: 'c', uid: '1' } }, 'Invalid settings.'],
    [
      'string expiresAfter',
      { settings: { channel: 'c', uid: '1', expiresAfter: '0' } },
      'Invalid settings.',
    ],
    [
      'fractional expiresAfter',
      { settings: { channel: 'c', uid: '1', expiresAfter: 1.5 } },
      'Invalid settings.',
    ],
    [
      'channel of 64 bytes',
      { settings: { channel: 'c'.repeat(64), uid: '1', expiresAfter: 0 } },
      "Invalid 'channel' format.",
    ],
    [
      'unicode channel',
      { settings: { channel: 'kanäl', uid: '1', expiresAfter: 0 } },
      "Invalid 'channel' format.",
    ],
    ['both empty', { settings: { channel: '', uid: '', expiresAfter: 0 } }, 'Invalid settings.'],
    [
      'bad templateId',
      { settings: { channel: 'c', uid: '1', expiresAfter: 0, templateId: 'a-b' } },
      'Invalid template ID.',
    ],
  ])('rejects %s', (_label, body, message) => {
    expect(parse(body)).toEqual({ ok: false, message });
  });
});
