import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LoggerLike } from '../../../src/agora/index.js';
import { EvictionPolicyError, toRedisSettings } from '../../../src/redis/index.js';
import { RedisUnavailableError, checkRedis } from '../../../src/worker/index.js';
import { freePort, startLocalRedis } from '../../support/redis-server.js';
import type { LocalRedis } from '../../support/redis-server.js';
import { redisUrl } from '../../support/isolation.js';

interface Logged {
  level: string;
  obj: object;
  msg: string | undefined;
}

function recordingLogger(lines: Logged[]): LoggerLike {
  const at =
    (level: string) =>
    (obj: object, msg?: string): void => {
      lines.push({ level, obj, msg });
    };
  const logger: LoggerLike = {
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    child: () => logger,
  };
  return logger;
}

describe('start-up Redis check', () => {
  /**
   * Real redis-servers: one that evicts (allkeys-lru); two without CONFIG (as managed Redis),
   * one of them evicting; one whose user may run neither CONFIG nor INFO.
   */
  let evicting: LocalRedis;
  let noConfig: LocalRedis;
  let noConfigEvicting: LocalRedis;
  let limited: LocalRedis;
  const LIMITED_URL = (port: number): string => `redis://limited:limited-pw-1@127.0.0.1:${port}`;
  beforeAll(async () => {
    [evicting, noConfig, noConfigEvicting, limited] = await Promise.all([
      startLocalRedis({ args: ['--maxmemory-policy', 'allkeys-lru'] }),
      startLocalRedis({ args: ['--rename-command', 'CONFIG', ''] }),
      startLocalRedis({
        args: ['--rename-command', 'CONFIG', '', '--maxmemory-policy', 'volatile-lru'],
      }),
      startLocalRedis({
        args: ['--user', 'limited', 'on', '>limited-pw-1', '~*', '&*', '+@all', '-config', '-info'],
      }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([
      evicting?.close(),
      noConfig?.close(),
      noConfigEvicting?.close(),
      limited?.close(),
    ]);
  });

  it('accepts a noeviction Redis without a warning', async () => {
    const lines: Logged[] = [];
    expect(await checkRedis({ redis: redisUrl(), logger: recordingLogger(lines) })).toEqual({
      maxmemoryPolicy: 'noeviction',
    });
    expect(lines.filter((l) => l.level === 'warn')).toEqual([]);
  });

  it('refuses a Redis whose maxmemory-policy evicts keys, naming the policy and the fix', async () => {
    const err = await checkRedis({ redis: evicting.url, logger: recordingLogger([]) }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(EvictionPolicyError);
    expect(err).toMatchObject({ policy: 'allkeys-lru', retryable: false });
    const message = (err as Error).message;
    expect(message).toContain(`Redis at ${evicting.url} has maxmemory-policy allkeys-lru`);
    expect(message).toContain('CONFIG SET maxmemory-policy noeviction');
    expect(message).toContain('redis.conf');
    expect(message).toContain('REDIS_ALLOW_EVICTION=true');
  });

  it('REDIS_ALLOW_EVICTION (redis.allowEviction) lets it start, with a warning', async () => {
    const lines: Logged[] = [];
    const redis = { ...toRedisSettings(evicting.url), allowEviction: true };
    expect(await checkRedis({ redis, logger: recordingLogger(lines) })).toEqual({
      maxmemoryPolicy: 'allkeys-lru',
    });
    const warnings = lines.filter((l) => l.level === 'warn');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.obj).toMatchObject({ maxmemoryPolicy: 'allkeys-lru' });
    expect(warnings[0]?.msg).toMatch(/REDIS_ALLOW_EVICTION=true: running although/);
  });

  it('where CONFIG is disabled (managed Redis), reads the policy from INFO: noeviction passes', async () => {
    const lines: Logged[] = [];
    expect(await checkRedis({ redis: noConfig.url, logger: recordingLogger(lines) })).toEqual({
      maxmemoryPolicy: 'noeviction',
    });
    expect(lines.filter((l) => l.level === 'warn')).toEqual([]);
  });

  it('where CONFIG is disabled, an evicting policy read from INFO is warned about by name (managed Redis is warned, not refused)', async () => {
    const lines: Logged[] = [];
    expect(
      await checkRedis({ redis: noConfigEvicting.url, logger: recordingLogger(lines) }),
    ).toEqual({ maxmemoryPolicy: 'volatile-lru' });
    const warnings = lines.filter((l) => l.level === 'warn');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.obj).toMatchObject({ maxmemoryPolicy: 'volatile-lru' });
    expect(warnings[0]?.msg).toMatch(/maxmemory-policy volatile-lru \(read from INFO/);
  });

  it('warns that the policy could not be checked where neither CONFIG nor INFO is allowed', async () => {
    const lines: Logged[] = [];
    expect(
      await checkRedis({ redis: LIMITED_URL(limited.port), logger: recordingLogger(lines) }),
    ).toEqual({ maxmemoryPolicy: undefined });
    expect(lines.filter((l) => l.level === 'warn').map((l) => l.msg)).toEqual([
      expect.stringMatching(/could not check Redis maxmemory-policy/),
    ]);
  });

  it('fails fast with RedisUnavailableError, the password masked, when nothing listens', async () => {
    const port = await freePort();
    const err = await checkRedis({
      redis: `redis://user:hunter22@127.0.0.1:${port}`,
      logger: recordingLogger([]),
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RedisUnavailableError);
    expect((err as Error).message).toMatch(
      /^Redis unreachable at redis:\/\/user:\*\*\*@127\.0\.0\.1:\d+: .*ECONNREFUSED/,
    );
    expect((err as Error).message).not.toContain('hunter22');
  });
});
