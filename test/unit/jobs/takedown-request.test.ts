import { describe, expect, it } from 'vitest';
import {
  InvalidPayloadError,
  PRIORITY_VALUES,
  assertTakedownPayload,
  parseTakedownPayload,
  parseTakedownRequest,
  toBullPriority,
} from '../../../src/jobs/index.js';
import type { FieldError, TakedownPayload } from '../../../src/jobs/index.js';

const NOW = new Date('2026-03-01T10:00:00.000Z');
const opts = { defaultAppId: 'defaultApp1', now: () => NOW };

function errorsOf(
  input: unknown,
  options: Parameters<typeof parseTakedownRequest>[1] = opts,
): FieldError[] {
  const result = parseTakedownRequest(input, options);
  if (result.ok) throw new Error(`expected errors, got ${JSON.stringify(result.value)}`);
  return result.errors;
}

function valueOf(input: unknown): TakedownPayload {
  const result = parseTakedownRequest(input, opts);
  if (!result.ok) throw new Error(`expected ok, got ${JSON.stringify(result.errors)}`);
  return result.value;
}

function only(errors: FieldError[]): FieldError {
  expect(errors).toHaveLength(1);
  const [first] = errors;
  if (first === undefined) throw new Error('no error');
  return first;
}

describe('parseTakedownRequest defaults', () => {
  it('fills appId from the default, priority normal, version and requestedAt', () => {
    expect(valueOf({ region: 'na', sid: 'abc-123' })).toEqual({
      v: 1,
      region: 'na',
      appId: 'defaultApp1',
      sid: 'abc-123',
      priority: 'normal',
      requestedAt: '2026-03-01T10:00:00.000Z',
    });
  });

  it('keeps every optional field given', () => {
    const input = {
      region: 'eu',
      appId: 'App2',
      sid: 's1',
      streamKey: 'k_1.x~y',
      channel: 'room 1!',
      reason: 'Policy 4.2 — “violent content” 🚫',
      requestedBy: 'moderator@example.com',
      priority: 'urgent',
      batchId: 'sweep-2026.03_01',
    };
    expect(valueOf(input)).toEqual({ v: 1, ...input, requestedAt: NOW.toISOString() });
  });

  it('treats null and empty strings as not given (empty CSV cells)', () => {
    const value = valueOf({
      region: 'na',
      appId: '',
      sid: null,
      streamKey: 'k',
      channel: '',
      reason: '',
      priority: '',
    });
    expect(value).toEqual({
      v: 1,
      region: 'na',
      appId: 'defaultApp1',
      streamKey: 'k',
      priority: 'normal',
      requestedAt: NOW.toISOString(),
    });
  });
});

describe('parseTakedownRequest errors name the field and what is allowed', () => {
  const cases: [string, Record<string, unknown>, string, RegExp][] = [
    ['missing region', { sid: 's' }, 'region', /region is required: one of na, eu, ap, cn/],
    [
      'unknown region',
      { region: 'us', sid: 's' },
      'region',
      /region must be one of na, eu, ap, cn.*got "us"/,
    ],
    [
      'uppercase region',
      { region: 'NA', sid: 's' },
      'region',
      /region must be one of na, eu, ap, cn \(lowercase\)/,
    ],
    [
      'region of wrong type',
      { region: 1, sid: 's' },
      'region',
      /region must be a string.*got number/,
    ],
    [
      'bad appId',
      { region: 'na', appId: 'a-b', sid: 's' },
      'appId',
      /appId must be 1–64 characters A-Z a-z 0-9; got "a-b"/,
    ],
    [
      'appId of wrong type',
      { region: 'na', appId: ['x'], sid: 's' },
      'appId',
      /appId must be a string.*got array/,
    ],
    ['neither sid nor key', { region: 'na' }, 'sid', /sid or streamKey is required/],
    [
      'sid with a slash',
      { region: 'na', sid: 'a/b' },
      'sid',
      /sid must be 1–255 characters A-Z a-z 0-9 - _ \. ~/,
    ],
    ['sid ..', { region: 'na', sid: '..' }, 'sid', /sid must be .*not '\.' or '\.\.'/],
    ['sid as number', { region: 'na', sid: 42 }, 'sid', /sid must be a string.*got number/],
    [
      'key with a colon',
      { region: 'na', streamKey: 'a:b' },
      'streamKey',
      /streamKey must be 1–255 characters/,
    ],
    ['key with a query', { region: 'na', streamKey: 'k?x=1' }, 'streamKey', /streamKey must be/],
    [
      'channel too long',
      { region: 'na', sid: 's', channel: 'c'.repeat(64) },
      'channel',
      /channel must be 1–63 bytes/,
    ],
    [
      'channel with newline',
      { region: 'na', sid: 's', channel: 'a\nb' },
      'channel',
      /channel must be 1–63 bytes/,
    ],
    [
      'reason too long',
      { region: 'na', sid: 's', reason: 'r'.repeat(501) },
      'reason',
      /reason is 501 characters long; at most 500/,
    ],
    [
      'reason with control char',
      { region: 'na', sid: 's', reason: 'ok\u0007' },
      'reason',
      /reason contains a control .*U\+0007/,
    ],
    [
      'reason with newline',
      { region: 'na', sid: 's', reason: 'line1\nline2' },
      'reason',
      /reason contains .*U\+000A/,
    ],
    [
      'reason with bidi override',
      { region: 'na', sid: 's', reason: 'abc\u202Edef' },
      'reason',
      /U\+202E/,
    ],
    [
      'reason with lone surrogate',
      { region: 'na', sid: 's', reason: 'x\uD800y' },
      'reason',
      /U\+D800/,
    ],
    [
      'reason as object',
      { region: 'na', sid: 's', reason: { a: 1 } },
      'reason',
      /reason must be a string: text of at most 500/,
    ],
    [
      'requestedBy too long',
      { region: 'na', sid: 's', requestedBy: 'u'.repeat(201) },
      'requestedBy',
      /requestedBy is 201 characters long; at most 200/,
    ],
    [
      'requestedBy with ESC',
      { region: 'na', sid: 's', requestedBy: '\u001b[31mroot' },
      'requestedBy',
      /requestedBy contains .*U\+001B/,
    ],
    [
      'bad priority',
      { region: 'na', sid: 's', priority: 'high' },
      'priority',
      /priority must be one of urgent, normal, bulk; got "high"/,
    ],
    [
      'priority as number',
      { region: 'na', sid: 's', priority: 1 },
      'priority',
      /priority must be one of urgent, normal, bulk; got number/,
    ],
    [
      'batchId with colon',
      { region: 'na', sid: 's', batchId: 'a:b' },
      'batchId',
      /batchId must be 1–64 characters A-Z a-z 0-9 \. _ -/,
    ],
    [
      'batchId too long',
      { region: 'na', sid: 's', batchId: 'b'.repeat(65) },
      'batchId',
      /batchId must be 1–64/,
    ],
  ];
  it.each(cases)('%s', (_title, input, field, message) => {
    const error = only(errorsOf(input));
    expect(error.field).toBe(field);
    expect(error.message).toContain(field);
    expect(error.message).toMatch(message);
  });

  it('accepts a reason of exactly 500 characters, counting emoji as one', () => {
    expect(valueOf({ region: 'na', sid: 's', reason: '🚫'.repeat(500) }).reason).toHaveLength(1000);
    expect(
      valueOf({ region: 'na', sid: 's', requestedBy: 'x'.repeat(200) }).requestedBy,
    ).toHaveLength(200);
  });

  it('asks for appId when neither the request nor the options give one', () => {
    const error = only(errorsOf({ region: 'na', sid: 's' }, {}));
    expect(error.field).toBe('appId');
    expect(error.message).toMatch(/appId is required .*AGORA_APP_ID.*1–64 characters/);
  });

  it('rejects an invalid default App ID by naming appId', () => {
    const error = only(errorsOf({ region: 'na', sid: 's' }, { defaultAppId: 'not valid!' }));
    expect(error.field).toBe('appId');
    expect(error.message).toMatch(/default App ID is invalid/);
  });

  it('reports every problem at once', () => {
    const errors = errorsOf({ region: 'xx', appId: '!', priority: 'now', extra: 1 });
    expect(errors.map((e) => e.field).sort()).toEqual([
      'appId',
      'extra',
      'priority',
      'region',
      'sid',
    ]);
  });

  it('rejects unknown fields by name and lists the allowed ones', () => {
    const errors = errorsOf({ region: 'na', sid: 's', key: 'k', Priority: 'urgent' });
    expect(errors.map((e) => e.field)).toEqual(['key', 'Priority']);
    expect(errors[0]?.message).toMatch(
      /unknown field key; allowed fields: region, appId, sid, streamKey/,
    );
  });

  it('does not accept v or requestedAt from a caller', () => {
    expect(
      errorsOf({ region: 'na', sid: 's', v: 1, requestedAt: NOW.toISOString() }).map(
        (e) => e.field,
      ),
    ).toEqual(['v', 'requestedAt']);
  });

  it('escapes and bounds hostile field names', () => {
    const errors = errorsOf({ region: 'na', sid: 's', 'evil\nname': 1, ['x'.repeat(500)]: 2 });
    expect(errors[0]?.field).toBe('"evil\\nname"');
    expect(errors[0]?.message).not.toContain('\n');
    expect(errors[1]?.field.length).toBeLessThan(50);
  });

  it('bounds the number of unknown-field errors', () => {
    const input: Record<string, unknown> = { region: 'na', sid: 's' };
    for (let i = 0; i < 1000; i++) input[`f${i}`] = i;
    const errors = errorsOf(input);
    expect(errors).toHaveLength(11);
    expect(errors.at(-1)?.message).toMatch(/and 990 more unknown field/);
  });

  it('ignores inherited properties, including a polluted prototype', () => {
    const input = Object.create({ region: 'na', sid: 's' }) as object;
    expect(errorsOf(input).map((e) => e.field)).toEqual(['region', 'sid']);
    const parsed = JSON.parse('{"region":"na","sid":"s","__proto__":{"appId":"x"}}') as unknown;
    expect(errorsOf(parsed).map((e) => e.field)).toEqual(['__proto__']);
  });

  it('does not echo a huge value back in full', () => {
    const error = only(errorsOf({ region: 'na', sid: 'x'.repeat(10_000) + '/' }));
    expect(error.message.length).toBeLessThan(200);
  });

  it.each([null, undefined, 'na', 42, ['na'], true])(
    'rejects a non-object request (%s)',
    (input) => {
      const error = only(errorsOf(input));
      expect(error.field).toBe('request');
      expect(error.message).toMatch(
        /must be an object with at least region and a sid or streamKey/,
      );
    },
  );
});

describe('assertTakedownPayload (worker side)', () => {
  const good = (): Record<string, unknown> => ({
    ...valueOf({ region: 'ap', sid: 's', reason: 'r' }),
  });

  it('accepts what parseTakedownRequest produced, after a JSON round trip', () => {
    const payload = valueOf({
      region: 'ap',
      sid: 's',
      streamKey: 'k',
      priority: 'bulk',
      batchId: 'b1',
    });
    expect(assertTakedownPayload(JSON.parse(JSON.stringify(payload)))).toEqual(payload);
  });

  it('requires the version, appId, priority and requestedAt (no defaults on this side)', () => {
    const { v: _v, appId: _a, priority: _p, requestedAt: _r, ...rest } = good();
    const result = parseTakedownPayload(rest);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors.map((e) => e.field)).toEqual(['v', 'appId', 'priority', 'requestedAt']);
  });

  it('rejects another version with a clear message', () => {
    expect(() => assertTakedownPayload({ ...good(), v: 2 })).toThrow(
      /v \(payload version\) must be 1; got 2/,
    );
  });

  it('rejects empty strings a request would have tolerated', () => {
    const result = parseTakedownPayload({ ...good(), channel: '' });
    expect(result.ok ? [] : result.errors.map((e) => e.field)).toEqual(['channel']);
  });

  it('rejects a malformed requestedAt', () => {
    expect(() => assertTakedownPayload({ ...good(), requestedAt: 'yesterday' })).toThrow(
      /requestedAt must be an ISO 8601/,
    );
  });

  it('throws InvalidPayloadError carrying the field errors, not retryable', () => {
    let caught: unknown;
    try {
      assertTakedownPayload({ region: 'mars', progress: {} });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(InvalidPayloadError);
    const error = caught as InvalidPayloadError;
    expect(error.name).toBe('InvalidPayloadError');
    expect(error.retryable).toBe(false);
    expect(error.fieldErrors.map((e) => e.field)).toEqual([
      'progress',
      'v',
      'region',
      'appId',
      'sid',
      'priority',
      'requestedAt',
    ]);
    expect(error.message).toMatch(/^invalid takedown payload: progress: unknown field/);
  });

  it('rejects a non-object payload', () => {
    expect(() => assertTakedownPayload('{"region":"na"}')).toThrow(
      /payload: a takedown payload must be an object/,
    );
  });
});

describe('priorities', () => {
  it('maps urgent < normal < bulk onto BullMQ numbers (lower runs sooner)', () => {
    expect(PRIORITY_VALUES).toEqual(['urgent', 'normal', 'bulk']);
    expect(PRIORITY_VALUES.map(toBullPriority)).toEqual([1, 5, 10]);
  });
});

describe('extraRegions', () => {
  it('takes an array or a separated string; drops repeats and the job region', () => {
    expect(
      valueOf({ region: 'na', sid: 's', extraRegions: ['eu', 'ap', 'eu', 'na'] }),
    ).toMatchObject({ extraRegions: ['eu', 'ap'] });
    expect(valueOf({ region: 'na', sid: 's', extraRegions: 'eu, ap;cn' }).extraRegions).toEqual([
      'eu',
      'ap',
      'cn',
    ]);
  });

  it('treats null, "", [] and only the job region as not given', () => {
    for (const extraRegions of [null, '', [], ['na'], 'na']) {
      expect(valueOf({ region: 'na', sid: 's', extraRegions })).not.toHaveProperty('extraRegions');
    }
  });

  it('names the field and the allowed regions for anything else', () => {
    for (const extraRegions of [['eu', 'us'], 'eu,EU', 'xx', 5, [3], { eu: true }]) {
      const error = only(errorsOf({ region: 'na', sid: 's', extraRegions }));
      expect(error.field).toBe('extraRegions');
      expect(error.message).toMatch(/^extraRegions must .*one of na, eu, ap, cn \(lowercase\)/);
    }
  });

  it('a stored payload must hold a non-empty array of regions', () => {
    const base = {
      v: 1,
      region: 'na',
      appId: 'app1',
      sid: 's',
      priority: 'normal',
      requestedAt: '2026-03-01T10:00:00.000Z',
    };
    expect(parseTakedownPayload({ ...base, extraRegions: ['eu'] }).ok).toBe(true);
    for (const extraRegions of ['eu', [], ['us']]) {
      const result = parseTakedownPayload({ ...base, extraRegions });
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.errors.map((e) => e.field)).toEqual(['extraRegions']);
    }
  });
});
