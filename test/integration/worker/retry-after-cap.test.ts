import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { AgoraHttpError, createAgoraClient } from '../../../src/agora/index.js';
import { withRateLimit } from '../../../src/worker/rate-limited-api.js';
import { createRateLimiter } from '../../../src/worker/rate-limiter.js';
import { redisUrl, uniquePrefix } from '../../support/isolation.js';

const closers: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  while (closers.length > 0) await closers.pop()?.();
});

/** A proxy in front of the API that answers every request 429 with `Retry-After: 3600`. */
async function throttlingProxy(): Promise<string> {
  const server = createServer((_req, res) => {
    res.writeHead(429, { 'content-type': 'application/json', 'retry-after': '3600' });
    res.end(JSON.stringify({ message: 'Request rate limit exceeded.' }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(() => new Promise((resolve) => server.close(resolve)));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('Retry-After cap (issue 10)', () => {
  it('a 429 with Retry-After: 3600 pauses the App ID for the cap, not an hour; urgent work waits at most the cap', async () => {
    const baseUrl = await throttlingProxy();
    const agora = createAgoraClient({
      baseUrl,
      auth: { scheme: 'basic', customerId: 'cust', customerSecret: 'secret-for-tests' },
      timeoutMs: 5000,
    });
    closers.push(() => agora.close());
    const redis = new Redis(redisUrl());
    closers.push(() => redis.quit());
    const limiter = createRateLimiter({
      redis,
      prefix: uniquePrefix('rac'),
      limits: { create: 50, delete: 50, query: 100 },
    });
    closers.push(() => limiter.close());
    const api = withRateLimit(agora, limiter, { penaltyMs: 200, retryAfterMaxMs: 800 });

    const err: unknown = await api
      .deleteStreamKey({ region: 'na', appId: 'app1', streamKey: 'k1' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AgoraHttpError);
    expect((err as AgoraHttpError).status).toBe(429);
    expect((err as AgoraHttpError).retryAfterMs).toBeGreaterThan(3_500_000);

    const [state] = await limiter.state();
    expect(state?.backlogMs).toBeGreaterThan(600);
    expect(state?.backlogMs).toBeLessThanOrEqual(800 + 40);

    // Urgent work waits out the capped pause, not the hour.
    const started = performance.now();
    await limiter.acquire('app1', 'delete', undefined, { urgent: true });
    const waited = performance.now() - started;
    expect(waited).toBeGreaterThan(500);
    expect(waited).toBeLessThan(1500);
  });
});
