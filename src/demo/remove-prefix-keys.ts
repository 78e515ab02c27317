import { createRedisConnection, scanKeys } from '../redis/index.js';

/**
 * Deletes every key under `${prefix}:` (both queues, batch sets, rate-limiter schedules) on a
 * connection of its own that fails fast. The prefix is the demo's random one, so nothing else
 * can match. Returns how many keys were removed.
 */
export async function removePrefixKeys(redisUrl: string, prefix: string): Promise<number> {
  if (!/^[A-Za-z0-9_-]+$/.test(prefix)) {
    // A glob character in the prefix could match other keys: refuse rather than guess.
    throw new Error(`refusing to delete keys of prefix "${prefix}" (only A-Z a-z 0-9 _ -)`);
  }
  const redis = createRedisConnection(redisUrl, {
    role: 'probe',
    lazyConnect: true,
    connectTimeoutMs: 2000,
  });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    let removed = 0;
    for await (const keys of scanKeys(redis, `${prefix}:*`)) {
      removed += await redis.unlink(...keys);
    }
    return removed;
  } finally {
    redis.disconnect();
  }
}
