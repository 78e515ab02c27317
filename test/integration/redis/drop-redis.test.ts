import type { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { connectRedis, dropRedis, quitRedis } from '../../../src/redis/index.js';
import { startLocalRedis } from '../../support/redis-server.js';
import type { LocalRedis } from '../../support/redis-server.js';

describe('dropRedis / quitRedis against a frozen server', () => {
  let redis: LocalRedis | undefined;
  afterEach(async () => {
    redis?.resume();
    await redis?.close();
    redis = undefined;
  });

  it('dropRedis closes the socket at once (disconnect() alone leaves it half-open, holding the process)', async () => {
    redis = await startLocalRedis();
    const client = await connectRedis(redis.url, { role: 'producer', connectTimeoutMs: 2000 });
    client.on('error', () => undefined);
    redis.pause();
    dropRedis(client);
    expect((client as Redis).stream.destroyed).toBe(true);
  });

  it('quitRedis gives up on an unanswered QUIT within its bound and closes the socket', async () => {
    redis = await startLocalRedis();
    const client = await connectRedis(redis.url, { role: 'producer', connectTimeoutMs: 2000 });
    client.on('error', () => undefined);
    redis.pause();
    // Would hang here without the bound: the frozen server never answers the QUIT.
    await quitRedis(client, 300);
    expect((client as Redis).stream.destroyed).toBe(true);
  });
});
