import type { RedisClient } from './create-redis-connection.js';
import { settleWithin } from './settle-within.js';
import { dropRedis } from './drop-redis.js';

/**
 * Closes an ioredis client without hanging: QUIT when connected (pending replies are flushed),
 * dropped at once when not, or when QUIT does not answer within `timeoutMs` (a QUIT queued
 * behind offline commands waits for a Redis that may never come back).
 */
export async function quitRedis(client: RedisClient, timeoutMs = 2000): Promise<void> {
  if (client.status === 'end') return;
  if (client.status !== 'ready') {
    dropRedis(client);
    return;
  }
  const quit = client.quit().catch(() => undefined);
  await settleWithin(quit, timeoutMs);
  // Also after a QUIT: in Sentinel mode only disconnect() closes the connections to the
  // Sentinels (failover detection), which would otherwise keep the process alive.
  dropRedis(client);
}
