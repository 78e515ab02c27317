import { describe, expect, it, vi } from 'vitest';
import { RedisBinaryMissingError, RedisNotFoundError, findRedis } from '../../../src/demo/index.js';
import type { DemoRedis } from '../../../src/demo/index.js';

function throwaway(): DemoRedis {
  return {
    url: 'redis://127.0.0.1:40001',
    source: 'throwaway',
    close: () => Promise.resolve(),
    killNow: () => undefined,
  };
}

describe('findRedis', () => {
  it('uses REDIS_URL as it is, without probing or starting anything', async () => {
    const probeLocal = vi.fn(() => Promise.resolve(true));
    const startThrowaway = vi.fn(() => Promise.resolve(throwaway()));
    const found = await findRedis({
      redisUrl: 'redis://:pw@db.example:6380/2',
      probeLocal,
      startThrowaway,
    });
    expect(found).toMatchObject({ url: 'redis://:pw@db.example:6380/2', source: 'REDIS_URL' });
    expect(probeLocal).not.toHaveBeenCalled();
    expect(startThrowaway).not.toHaveBeenCalled();
  });

  it('takes the local Redis on 6379 when REDIS_URL is unset or blank and it answers', async () => {
    for (const redisUrl of [undefined, '', '   ']) {
      const startThrowaway = vi.fn(() => Promise.resolve(throwaway()));
      const found = await findRedis({
        redisUrl,
        probeLocal: () => Promise.resolve(true),
        startThrowaway,
      });
      expect(found).toMatchObject({ url: 'redis://127.0.0.1:6379', source: 'local' });
      expect(startThrowaway).not.toHaveBeenCalled();
    }
  });

  it('starts a throw-away redis-server when nothing answers locally', async () => {
    const started = throwaway();
    const found = await findRedis({
      probeLocal: () => Promise.resolve(false),
      startThrowaway: () => Promise.resolve(started),
    });
    expect(found).toBe(started);
  });

  it('explains how to get Redis when redis-server is not installed', async () => {
    const attempt = findRedis({
      probeLocal: () => Promise.resolve(false),
      startThrowaway: () =>
        Promise.reject(new RedisBinaryMissingError('cannot run redis-server: spawn ENOENT')),
    });
    await expect(attempt).rejects.toBeInstanceOf(RedisNotFoundError);
    const err = (await attempt.catch((e: unknown) => e)) as RedisNotFoundError;
    expect(err.name).toBe('RedisNotFoundError');
    expect(err.retryable).toBe(false);
    expect(err.message).toContain('redis-server is not on PATH');
    expect(err.message).toContain('apt-get install -y redis-server');
    expect(err.message).toContain('brew install redis');
    expect(err.message).toContain('docker run --rm -p 6379:6379 redis:7');
    expect(err.message).toContain('REDIS_URL=');
  });

  it('says why a redis-server that exists did not start', async () => {
    const err = (await findRedis({
      probeLocal: () => Promise.resolve(false),
      startThrowaway: () => Promise.reject(new Error('redis-server exited at start (code 1)')),
    }).catch((e: unknown) => e)) as RedisNotFoundError;
    expect(err).toBeInstanceOf(RedisNotFoundError);
    expect(err.message).toContain('redis-server exited at start (code 1)');
    expect(err.cause).toBeInstanceOf(Error);
  });
});
