import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { createMetrics } from '../../../src/metrics/index.js';
import { createOpsServer, createReadinessCheck } from '../../../src/server/index.js';
import type { OpsServer } from '../../../src/server/index.js';
import { startLocalRedis } from '../../support/redis-server.js';
import type { LocalRedis } from '../../support/redis-server.js';
import { waitFor } from '../../support/wait-for.js';

const silent = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

describe('/readyz against a real Redis', () => {
  let redis: LocalRedis | undefined;
  let client: Redis | undefined;
  let server: OpsServer | undefined;

  afterEach(async () => {
    await server?.close();
    client?.disconnect();
    await redis?.close();
    server = undefined;
    client = undefined;
    redis = undefined;
  });

  it('flips to 503 when Redis stops and back to 200 when it returns', async () => {
    // A Redis of this test's own: stopping the shared one would break every other test.
    redis = await startLocalRedis();
    client = new Redis(redis.url, {
      // Fail at once while disconnected instead of queueing the PING; reconnect quickly.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      retryStrategy: () => 100,
    });
    client.on('error', () => undefined);
    await waitFor(() => client?.status === 'ready', { what: 'ioredis ready' });
    server = await createOpsServer({
      host: '127.0.0.1',
      port: 0,
      logger: silent,
      metrics: createMetrics({ defaultMetrics: false }),
      isReady: createReadinessCheck({
        redis: client,
        worker: { isRunning: () => true },
        pingTimeoutMs: 500,
      }),
    });
    const readyz = async (): Promise<{
      status: number;
      body: { status: string; reason?: string };
    }> => {
      const res = await fetch(`${server?.url}/readyz`);
      return {
        status: res.status,
        body: (await res.json()) as { status: string; reason?: string },
      };
    };

    expect(await readyz()).toEqual({ status: 200, body: { status: 'ready' } });

    await redis.stop();
    const down = await waitFor(
      async () => {
        const r = await readyz();
        return r.status === 503 ? r : undefined;
      },
      { what: '/readyz 503 after Redis stopped' },
    );
    expect(down.body.status).toBe('not-ready');
    expect(down.body.reason).toMatch(/^Redis unreachable: /);
    // /healthz is liveness only: still 200.
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);

    await redis.restart();
    await waitFor(async () => (await readyz()).status === 200, {
      what: '/readyz 200 after Redis restarted',
    });
  });
});
