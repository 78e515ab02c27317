import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/index.js';
import { createLogger, type LoggerOptions } from '../../../src/logging/index.js';

const SECRET = 'hunter2-canary-5be1';
const BASIC = Buffer.from(`customer:${SECRET}`).toString('base64');

function capture(options: Omit<LoggerOptions, 'destination'>) {
  const lines: string[] = [];
  const logger = createLogger({
    ...options,
    destination: { write: (line) => void lines.push(line) },
  });
  return { logger, text: () => lines.join(''), lines };
}

describe('createLogger', () => {
  it('never writes a known secret, whatever shape it is logged in', () => {
    const { logger, text } = capture({ level: 'trace' });
    const config = loadConfig({
      env: {
        REDIS_URL: `redis://default:${SECRET}@redis:6379`,
        AGORA_CUSTOMER_ID: 'customer',
        AGORA_CUSTOMER_SECRET: SECRET,
        DASHBOARD_USER: 'ops',
        DASHBOARD_PASSWORD: SECRET,
        INTAKE_TOKENS: `${SECRET}-intake`,
      },
    });
    logger.info({ req: { headers: { authorization: `Basic ${BASIC}` } } }, 'request');
    logger.info({ headers: { Authorization: `Basic ${BASIC}` } });
    logger.info({ options: { headers: { authorization: `Bearer ${SECRET}` } } });
    logger.info({ request: { options: { headers: { Authorization: `Basic ${BASIC}` } } } });
    logger.info({ customerSecret: SECRET, agora: { customerSecret: SECRET } });
    logger.info({ password: SECRET, dashboard: { password: SECRET } });
    logger.info({ token: SECRET, tokens: [SECRET], intake: { tokens: [SECRET] } });
    logger.info({ redisUrl: `redis://default:${SECRET}@redis:6379` });
    logger.info({ connection: { url: `rediss://:${SECRET}@redis:6380/0` } });
    logger.info({ endpoint: new URL(`redis://u:${SECRET}@redis:6379`) });
    logger.info(`connecting to redis://default:${SECRET}@redis:6379`);
    logger.info({ config }, 'config loaded');
    logger.error(new Error(`connect ECONNREFUSED redis://u:${SECRET}@redis:6379`));
    logger.error({ err: new Error('outer', { cause: new Error(`Basic ${BASIC}`) }) }, 'failed');
    logger
      .child({ url: `redis://u:${SECRET}@h:1` })
      .child({ password: SECRET })
      .debug('child');
    logger.trace({ deep: { a: { b: { c: { password: SECRET } } } } });

    const out = text();
    expect(out.split('\n').filter(Boolean)).toHaveLength(16);
    expect(out).not.toContain(SECRET);
    expect(out).not.toContain(BASIC);
    // What is left is useful: the masked forms, and non-secret fields untouched.
    expect(out).toContain('redis://default:***@redis:6379');
    expect(out).toContain('[redacted]');
    expect(out).toContain('"customerId":"customer"');
  });

  it('writes valid JSON lines after masking', () => {
    const { logger, lines } = capture({ level: 'info' });
    logger.info({ a: `redis://u:${SECRET}@h`, b: 'x@y', c: 'redis://h:1' }, 'm');
    const parsed = JSON.parse(lines[0] ?? '') as Record<string, unknown>;
    expect(parsed).toMatchObject({ a: 'redis://u:***@h', b: 'x@y', c: 'redis://h:1', msg: 'm' });
  });

  it('serializes errors with their type and masks their message and stack', () => {
    const { logger, lines } = capture({ level: 'info' });
    logger.error({ err: new TypeError(`bad redis://u:${SECRET}@h`) }, 'boom');
    const parsed = JSON.parse(lines[0] ?? '') as { err: { type: string; message: string } };
    expect(parsed.err.type).toBe('TypeError');
    expect(parsed.err.message).toBe('bad redis://u:***@h');
  });

  it('does not change the objects it is given', () => {
    const { logger } = capture({ level: 'info' });
    const payload = { password: SECRET, nested: { url: `redis://u:${SECRET}@h` } };
    logger.info(payload);
    expect(payload).toEqual({ password: SECRET, nested: { url: `redis://u:${SECRET}@h` } });
  });

  it('honours the level', () => {
    const { logger, lines } = capture({ level: 'warn' });
    logger.info('hidden');
    logger.warn('shown');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('shown');
  });

  it('pretty-prints with pino-pretty, still masked', () => {
    const { logger, text } = capture({ level: 'info', pretty: true });
    logger.info({ password: SECRET, url: `redis://u:${SECRET}@h` }, 'pretty line');
    expect(text()).toContain('INFO');
    expect(text()).toContain('pretty line');
    expect(text()).not.toContain(SECRET);
    expect(() => JSON.parse(text()) as unknown).toThrow();
  });

  it('falls back to JSON with one warning when pino-pretty is missing', () => {
    const { logger, lines } = capture({
      level: 'info',
      pretty: true,
      prettyModule: 'pino-pretty-that-does-not-exist',
    });
    logger.info('first');
    logger.info('second');
    const parsed = lines.map((l) => JSON.parse(l) as { level: number; msg: string });
    expect(parsed.map((p) => p.msg)).toEqual([
      'LOG_PRETTY is set but pino-pretty is not installed; logging JSON',
      'first',
      'second',
    ]);
    expect(parsed.filter((p) => p.level === 40)).toHaveLength(1);
  });
});
