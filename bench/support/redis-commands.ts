import type { Redis } from 'ioredis';

/** Commands the server has run so far: the sum of `calls` over INFO commandstats. */
export async function redisCommandCount(redis: Redis): Promise<number> {
  const info = await redis.info('commandstats');
  let total = 0;
  for (const m of info.matchAll(/^cmdstat_[^:]+:calls=(\d+)/gm)) total += Number(m[1]);
  return total;
}
