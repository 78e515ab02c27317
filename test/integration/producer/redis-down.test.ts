import { createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { RedisUnavailableError, createProducer } from '../../../src/producer/index.js';
import type { Producer } from '../../../src/producer/index.js';
import { uniquePrefix } from '../../support/isolation.js';
import { freePort, startLocalRedis } from '../../support/redis-server.js';
import type { LocalRedis } from '../../support/redis-server.js';

const base = { prefix: 'unused', attempts: 3, idempotencyWindowS: 60 };

describe('producer when Redis is unreachable', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it('fails fast on a closed port with a clear error that never shows the password', async () => {
    const port = await freePort();
    const started = Date.now();
    const error = await createProducer({
      ...base,
      redis: `redis://admin:s3cret-pw@127.0.0.1:${port}/0`,
    }).catch((e: unknown) => e);
    expect(Date.now() - started).toBeLessThan(3000);
    expect(error).toBeInstanceOf(RedisUnavailableError);
    const message = (error as Error).message;
    expect(message).toContain(`Redis unreachable at redis://admin:***@127.0.0.1:${port}/0`);
    expect(message).toContain('ECONNREFUSED');
    expect(message).not.toContain('s3cret-pw');
    expect(JSON.stringify({ ...(error as object), message })).not.toContain('s3cret-pw');
  });

  it('does not hang on a server that accepts connections but never answers', async () => {
    const sockets: Socket[] = [];
    const server: Server = createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanups.push(async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    });
    const { port } = server.address() as { port: number };
    const started = Date.now();
    await expect(
      createProducer({ ...base, redis: `redis://127.0.0.1:${port}`, connectTimeoutMs: 500 }),
    ).rejects.toBeInstanceOf(RedisUnavailableError);
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('an operation after Redis went away fails fast with RedisUnavailableError', async () => {
    const redis: LocalRedis = await startLocalRedis();
    cleanups.push(() => redis.close());
    const producer: Producer = await createProducer({
      ...base,
      prefix: uniquePrefix('down'),
      redis: redis.url,
      defaultAppId: '0123456789abcdef0123456789abcdef',
    });
    cleanups.push(() => producer.close());
    expect(await producer.enqueue({ region: 'na', sid: 'before' })).toMatchObject({
      status: 'enqueued',
    });

    await redis.stop(true);
    const started = Date.now();
    await expect(producer.enqueue({ region: 'na', sid: 'after' })).rejects.toBeInstanceOf(
      RedisUnavailableError,
    );
    await expect(producer.stats()).rejects.toBeInstanceOf(RedisUnavailableError);
    const many = Array.from({ length: 2500 }, (_, i) => ({ region: 'na', sid: `after-${i}` }));
    await expect(producer.enqueueMany(many)).rejects.toBeInstanceOf(RedisUnavailableError);
    expect(Date.now() - started).toBeLessThan(3000);
  });
});
