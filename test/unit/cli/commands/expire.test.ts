import { describe, expect, it } from 'vitest';
import { UsageError } from '../../../../src/cli/index.js';
import {
  MAX_EXPIRY_MS,
  parseDuration,
  parseInstant,
  resolveDueTime,
} from '../../../../src/cli/commands/expire.js';
import { NO_REDIS, run } from './run-cli.js';

describe('parseDuration', () => {
  it.each([
    ['90s', 90_000],
    ['15m', 900_000],
    ['2h', 7_200_000],
    ['1d', 86_400_000],
    ['1h30m', 5_400_000],
    ['1.5h', 5_400_000],
    ['500ms', 500],
    [' 2h ', 7_200_000],
  ])('reads %j as %d ms', (raw, ms) => {
    expect(parseDuration(raw)).toBe(ms);
  });

  it.each(['', '90', 'h', '5x', '1h 30m', '-5m', '1e3s', 'soon', '2H'])(
    'refuses %j, naming --in and the allowed forms',
    (raw) => {
      expect(() => parseDuration(raw)).toThrow(UsageError);
      expect(() => parseDuration(raw)).toThrow(/--in must be a duration such as 90s, 15m, 2h, 1d/);
    },
  );

  it('refuses zero and more than ten years', () => {
    expect(() => parseDuration('0s')).toThrow(/--in must be more than zero/);
    expect(() => parseDuration(`${MAX_EXPIRY_MS / 86_400_000 + 1}d`)).toThrow(/at most 3650d/);
  });
});

describe('parseInstant', () => {
  it.each([
    ['2026-05-01T18:00:00Z', '2026-05-01T18:00:00.000Z'],
    ['2026-05-01T20:00:00+02:00', '2026-05-01T18:00:00.000Z'],
    ['2026-05-01T20:00:00+0200', '2026-05-01T18:00:00.000Z'],
    ['2026-05-01T18:00Z', '2026-05-01T18:00:00.000Z'],
    ['2026-05-01T18:00:00.250Z', '2026-05-01T18:00:00.250Z'],
  ])('reads %j', (raw, iso) => {
    expect(parseInstant(raw).toISOString()).toBe(iso);
  });

  it.each([
    '2026-05-01T18:00:00', // no zone: would depend on the machine
    '2026-05-01',
    'tomorrow',
    '2026-02-30T00:00:00Z', // Date would roll this over to March
    '2026-13-01T00:00:00Z',
    '2026-05-01T24:00:00Z',
    '1714586400',
  ])('refuses %j, naming --at', (raw) => {
    expect(() => parseInstant(raw)).toThrow(/--at must be an ISO 8601 time with a zone/);
  });
});

describe('resolveDueTime', () => {
  const now = Date.parse('2026-05-01T12:00:00Z');

  it('counts --in from the given now', () => {
    expect(resolveDueTime({ in: '90s' }, now).toISOString()).toBe('2026-05-01T12:01:30.000Z');
  });

  it('takes --at as given when it is in the future', () => {
    expect(resolveDueTime({ at: '2026-05-01T13:00:00Z' }, now).toISOString()).toBe(
      '2026-05-01T13:00:00.000Z',
    );
  });

  it('refuses a time in the past or now', () => {
    expect(() => resolveDueTime({ at: '2026-05-01T11:59:59Z' }, now)).toThrow(
      /--at must be in the future/,
    );
    expect(() => resolveDueTime({ at: '2026-05-01T12:00:00Z' }, now)).toThrow(/in the future/);
  });

  it('needs exactly one of --at and --in', () => {
    expect(() => resolveDueTime({}, now)).toThrow(/--at .* or --in/);
    expect(() => resolveDueTime({ at: '2026-05-01T13:00:00Z', in: '1h' }, now)).toThrow(
      /either --at or --in, not both/,
    );
  });
});

describe('takedown expire: argument errors exit 2 before touching Redis', () => {
  it.each([
    [['--region', 'na', '--key', 'k1'], /say when: --at/],
    [['--region', 'na', '--key', 'k1', '--in', '1h', '--at', '2030-01-01T00:00:00Z'], /not both/],
    [
      ['--region', 'na', '--key', 'k1', '--at', '2001-01-01T00:00:00Z'],
      /--at must be in the future/,
    ],
    [['--region', 'na', '--key', 'k1', '--in', 'later'], /--in must be a duration/],
    [['--key', 'k1', '--in', '1h'], /--region is required/],
    [['--region', 'na', '--in', '1h'], /--key is required/],
    [['--cancel'], /--key is required with --cancel/],
    [['--cancel', '--key', 'k1', '--in', '1h'], /--in does not go with --cancel/],
    [['--list', '--key', 'k1'], /--key does not go with --list/],
    [['--list', '--cancel'], /--cancel or --list, not both/],
  ])('%j', async (args, message) => {
    const result = await run(['expire', ...args], NO_REDIS);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stdout).toBe('');
  });

  it('names the flag when the request is invalid, before connecting', async () => {
    const result = await run(
      ['expire', '--region', 'mars', '--key', 'k/1', '--in', '1h'],
      NO_REDIS,
    );
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--region: region must be one of na, eu, ap, cn/);
    expect(result.stderr).toMatch(/--key: streamKey must be/);
  });

  it('gets as far as Redis with valid arguments (down here: exit 1 naming the URL)', async () => {
    const result = await run(['expire', '--region', 'na', '--key', 'k1', '--in', '1h'], NO_REDIS);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/Redis unreachable at redis:\/\/127\.0\.0\.1:1/);
  });
});
