import type { TestProject } from 'vitest/node';
import { REDIS_INSTALL_HINT, startLocalRedis } from './redis-server.js';

declare module 'vitest' {
  export interface ProvidedContext {
    redisUrl: string;
    redisSource: 'testcontainers' | 'redis-server';
  }
}

async function containerRuntimeAvailable(): Promise<boolean> {
  try {
    const { getContainerRuntimeClient } = await import('testcontainers');
    await Promise.race([
      getContainerRuntimeClient(),
      new Promise((_, reject) => setTimeout(() => reject(new Error('timeout')), 5000).unref()),
    ]);
    return true;
  } catch {
    return false;
  }
}

/**
 * One Redis for the whole run: a testcontainers Redis when a container runtime exists, else a
 * redis-server child on a free port. Tests isolate themselves by queue prefix, never by database.
 */
export async function setup(project: TestProject): Promise<() => Promise<void>> {
  if (process.env.TAKEDOWN_TEST_REDIS_URL) {
    project.provide('redisUrl', process.env.TAKEDOWN_TEST_REDIS_URL);
    project.provide('redisSource', 'redis-server');
    return async () => {};
  }
  if (await containerRuntimeAvailable()) {
    const { RedisContainer } = await import('@testcontainers/redis');
    const container = await new RedisContainer('redis:7-alpine')
      .withCommand(['redis-server', '--appendonly', 'yes', '--maxmemory-policy', 'noeviction'])
      .start();
    project.provide('redisUrl', container.getConnectionUrl());
    project.provide('redisSource', 'testcontainers');
    return async () => {
      await container.stop();
    };
  }
  try {
    const redis = await startLocalRedis();
    project.provide('redisUrl', redis.url);
    project.provide('redisSource', 'redis-server');
    return async () => {
      await redis.close();
    };
  } catch (err) {
    throw new Error(
      `No container runtime for testcontainers and no usable redis-server: ${(err as Error).message}\n${REDIS_INSTALL_HINT}`,
      { cause: err },
    );
  }
}
