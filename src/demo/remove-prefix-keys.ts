import { Redis } from 'ioredis';

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
  const redis = new Redis(redisUrl, {
    lazyConnect: true,
    connectTimeout: 2000,
    maxRetriesPerRequest: 1,
    retryStrategy: () => null,
  });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    let removed = 0;
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) removed += await redis.unlink(...keys);
    } while (cursor !== '0');
    return removed;
  } finally {
    redis.disconnect();
  }
}
