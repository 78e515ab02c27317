import { Queue } from 'bullmq';
import { afterEach, describe, expect, it } from 'vitest';
import { intakeRequester } from '../../../src/config/index.js';
import { TAKEDOWN_QUEUE } from '../../../src/jobs/index.js';
import { createMetrics } from '../../../src/metrics/index.js';
import { createProducer } from '../../../src/producer/index.js';
import type { Producer } from '../../../src/producer/index.js';
import { createOpsServer } from '../../../src/server/index.js';
import type { OpsLogger, OpsServer } from '../../../src/server/index.js';
import { redisUrl, uniquePrefix } from '../../support/isolation.js';
import { startLocalRedis } from '../../support/redis-server.js';
import type { LocalRedis } from '../../support/redis-server.js';

const TOKEN = 'intake-token-0123456789abcdef';
const APP_ID = 'appintake01';

const logged: string[] = [];
const logger: OpsLogger = {
  debug: (obj, msg) => void logged.push(JSON.stringify({ obj, msg })),
  info: (obj, msg) => void logged.push(JSON.stringify({ obj, msg })),
  warn: (obj, msg) => void logged.push(JSON.stringify({ obj, msg })),
  error: (obj, msg) => void logged.push(JSON.stringify({ obj, msg })),
};

const toClose: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of toClose.splice(0).reverse()) await close();
  logged.length = 0;
});

async function setup(options: { url?: string; prefix?: string; maxBatch?: number } = {}): Promise<{
  server: OpsServer;
  producer: Producer;
  prefix: string;
}> {
  const prefix = options.prefix ?? uniquePrefix('intake');
  const producer = await createProducer({
    redis: options.url ?? redisUrl(),
    prefix,
    defaultAppId: APP_ID,
    attempts: 3,
    idempotencyWindowS: 3600,
  });
  toClose.push(() => producer.close());
  const server = await createOpsServer({
    host: '127.0.0.1',
    port: 0,
    logger,
    metrics: createMetrics({ defaultMetrics: false }),
    isReady: () => Promise.resolve({ ready: true }),
    intake: {
      tokens: [TOKEN],
      maxBatch: options.maxBatch ?? 1000,
      bodyLimitBytes: 256 * 1024,
      producer,
    },
  });
  toClose.push(() => server.close());
  return { server, producer, prefix };
}

function call(
  server: OpsServer,
  method: string,
  path: string,
  body?: unknown,
  token: string | null = TOKEN,
): Promise<Response> {
  const headers: Record<string, string> = {};
  if (token !== null) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  return fetch(`${server.url}${path}`, {
    method,
    headers,
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
}

async function json(res: Response): Promise<Record<string, unknown>> {
  return (await res.json()) as Record<string, unknown>;
}

describe('HTTP intake with the real producer', () => {
  it('enqueues a valid takedown (202), reports a duplicate (200) with the same jobId, and its status', async () => {
    const { server } = await setup();
    const request = {
      region: 'na',
      sid: 'sidIntake1',
      streamKey: 'keyIntake1',
      reason: 'policy',
      requestedBy: 'mod-svc',
      priority: 'urgent',
    };
    let res = await call(server, 'POST', '/v1/takedowns', request);
    expect(res.status).toBe(202);
    const first = await json(res);
    expect(first).toEqual({
      jobId: `sid-${APP_ID}-sidIntake1`,
      status: 'enqueued',
      state: 'waiting',
      priority: 'urgent',
    });

    res = await call(server, 'POST', '/v1/takedowns', { region: 'eu', sid: 'sidIntake1' });
    expect(res.status).toBe(200);
    expect(await json(res)).toEqual({
      jobId: first.jobId,
      status: 'duplicate',
      state: 'waiting',
      priority: 'urgent',
      merged: [],
    });

    // A corrected key the job cannot take (it has another one): the key gets its own takedown.
    res = await call(server, 'POST', '/v1/takedowns', {
      region: 'eu',
      sid: 'sidIntake1',
      streamKey: 'otherKey1',
    });
    expect(res.status).toBe(200);
    expect(await json(res)).toMatchObject({
      status: 'duplicate',
      merged: [],
      keyTakedown: { status: 'enqueued', state: 'waiting', priority: 'normal' },
    });

    res = await call(server, 'GET', `/v1/takedowns/${String(first.jobId)}`);
    expect(res.status).toBe(200);
    const status = await json(res);
    expect(status).toMatchObject({ kind: 'job', jobId: first.jobId, state: 'waiting' });
    expect(status.payload).toMatchObject({
      region: 'na',
      sid: 'sidIntake1',
      priority: 'urgent',
      // The token is the requester (a bare token is named by its fingerprint); the body's
      // requestedBy follows it.
      requestedBy: `${intakeRequester(TOKEN).name}/mod-svc`,
    });

    res = await call(server, 'GET', `/v1/takedowns/sid-${APP_ID}-nosuchsid`);
    expect(res.status).toBe(404);
  });

  it('answers 400 with the producer field errors, 413 for an oversized body, 401 without or with a wrong token', async () => {
    const { server, producer } = await setup();
    let res = await call(server, 'POST', '/v1/takedowns', {
      region: 'mars',
      sid: 'bad sid!',
      priority: 'now',
      color: 'red',
    });
    expect(res.status).toBe(400);
    const body = await json(res);
    expect(body.error).toBe('invalid-request');
    const fields = (body.fieldErrors as { field: string; message: string }[]).map((e) => e.field);
    expect(fields).toEqual(expect.arrayContaining(['region', 'sid', 'priority']));
    for (const e of body.fieldErrors as { field: string; message: string }[])
      expect(e.message).not.toBe('');

    res = await call(server, 'POST', '/v1/takedowns', {
      region: 'na',
      sid: 'big1',
      reason: 'x'.repeat(300 * 1024),
    });
    expect(res.status).toBe(413);
    expect((await json(res)).message).toBe(
      `the request body is larger than the limit of ${256 * 1024} bytes`,
    );

    res = await call(server, 'POST', '/v1/takedowns', { region: 'na', sid: 'auth1' }, null);
    expect(res.status).toBe(401);
    res = await call(
      server,
      'POST',
      '/v1/takedowns',
      { region: 'na', sid: 'auth1' },
      `${TOKEN}-wrong`,
    );
    expect(res.status).toBe(401);
    // None of the rejected requests left a job behind.
    expect(await producer.getStatus({ sid: 'auth1' })).toBeNull();
    expect(await producer.getStatus({ sid: 'big1' })).toBeNull();
    expect(logged.join('\n')).not.toContain(TOKEN);
  });

  it('takes extraRegions as an array or a string, rejects an unknown region naming the field, and documents it', async () => {
    const { server, producer } = await setup();
    let res = await call(server, 'POST', '/v1/takedowns', {
      region: 'na',
      sid: 'mr-intake-1',
      extraRegions: ['eu', 'ap'],
    });
    expect(res.status).toBe(202);
    res = await call(server, 'POST', '/v1/takedowns', {
      region: 'na',
      sid: 'mr-intake-2',
      extraRegions: 'eu,cn',
    });
    expect(res.status).toBe(202);
    for (const extraRegions of [['eu', 'us'], 'eu,us']) {
      res = await call(server, 'POST', '/v1/takedowns', {
        region: 'na',
        sid: 'mr-intake-3',
        extraRegions,
      });
      expect(res.status).toBe(400);
      const fieldErrors = (await json(res)).fieldErrors as { field: string; message: string }[];
      expect(fieldErrors.map((e) => e.field)).toContain('extraRegions');
    }
    expect(await producer.getStatus({ sid: 'mr-intake-3' })).toBeNull();

    // A repeat adds regions to the queued takedown; the answer says so.
    res = await call(server, 'POST', '/v1/takedowns', {
      region: 'na',
      sid: 'mr-intake-1',
      extraRegions: ['cn'],
    });
    expect(res.status).toBe(200);
    expect(await json(res)).toMatchObject({ status: 'duplicate', merged: ['extraRegions'] });

    const openapi = (await json(await call(server, 'GET', '/openapi.json'))) as {
      paths: Record<
        string,
        { post?: { requestBody?: { content?: Record<string, { schema?: unknown }> } } }
      >;
    };
    const schema = openapi.paths['/v1/takedowns']?.post?.requestBody?.content?.['application/json']
      ?.schema as { properties: Record<string, { description?: string }> };
    expect(schema.properties['extraRegions']?.description).toMatch(/after the job region/);
  });

  it('enqueues a batch of 500 with per-item results and reports its progress', async () => {
    const { server, prefix } = await setup();
    const items = Array.from({ length: 500 }, (_, i) => ({
      region: 'na',
      sid: `batchsid${i}`,
      priority: 'bulk',
    }));
    items.push({ region: 'na', sid: 'batchsid7', priority: 'bulk' }); // same-batch duplicate
    items.push({ region: 'zz', sid: 'batchbad', priority: 'bulk' });
    let res = await call(server, 'POST', '/v1/batches', items);
    expect(res.status).toBe(202);
    const body = (await res.json()) as {
      batchId: string;
      counts: Record<string, number>;
      results: { index: number; status: string; jobId?: string; errors?: { field: string }[] }[];
    };
    expect(body.counts).toMatchObject({ enqueued: 500, duplicates: 1, rejected: 1 });
    expect(body.results).toHaveLength(502);
    expect(body.results[0]).toMatchObject({
      index: 0,
      status: 'enqueued',
      jobId: `sid-${APP_ID}-batchsid0`,
    });
    expect(body.results[500]).toMatchObject({
      index: 500,
      status: 'duplicate',
      jobId: `sid-${APP_ID}-batchsid7`,
    });
    expect(body.results[501]).toMatchObject({
      index: 501,
      status: 'rejected',
      errors: [{ field: 'region' }],
    });

    const queue = new Queue(TAKEDOWN_QUEUE, { connection: { url: redisUrl() }, prefix });
    try {
      const counts = await queue.getJobCounts('waiting', 'prioritized', 'delayed', 'active');
      expect((counts.waiting ?? 0) + (counts.prioritized ?? 0)).toBe(500);
    } finally {
      await queue.close();
    }

    res = await call(server, 'GET', `/v1/batches/${body.batchId}`);
    expect(res.status).toBe(200);
    expect(await json(res)).toMatchObject({
      kind: 'batch',
      batchId: body.batchId,
      total: 500,
      rejected: 1,
      counts: { waiting: 500 },
    });
    res = await call(server, 'GET', '/v1/batches/b-unknown-batch');
    expect(res.status).toBe(404);
  });

  it('rejects a batch over the configured size, naming the limit', async () => {
    const { server } = await setup({ maxBatch: 3 });
    const res = await call(
      server,
      'POST',
      '/v1/batches',
      Array.from({ length: 4 }, (_, i) => ({ region: 'na', sid: `over${i}` })),
    );
    expect(res.status).toBe(400);
    expect((await json(res)).message).toBe('a batch holds 1 to 3 items (INTAKE_MAX_BATCH); got 4');
  });

  describe('with Redis down', () => {
    // Closed last (toClose runs in reverse), after the clients that use it.
    async function ownRedis(): Promise<LocalRedis> {
      const redis = await startLocalRedis();
      toClose.push(() => redis.close());
      return redis;
    }

    it('answers 503 with a clear message at once instead of hanging, and recovers when Redis returns', async () => {
      const redis = await ownRedis();
      const { server } = await setup({ url: redis.url });
      expect(
        (await call(server, 'POST', '/v1/takedowns', { region: 'na', sid: 'down0' })).status,
      ).toBe(202);

      await redis.stop();
      const started = Date.now();
      let res = await call(server, 'POST', '/v1/takedowns', { region: 'na', sid: 'down1' });
      expect(res.status).toBe(503);
      expect(Date.now() - started).toBeLessThan(5000);
      expect(res.headers.get('retry-after')).toBe('5');
      expect(await json(res)).toMatchObject({
        error: 'queue-unavailable',
        message: expect.stringMatching(/Redis\) is unreachable/) as string,
      });
      res = await call(server, 'POST', '/v1/batches', [{ region: 'na', sid: 'down2' }]);
      expect(res.status).toBe(503);
      res = await call(server, 'GET', `/v1/takedowns/sid-${APP_ID}-down0`);
      expect(res.status).toBe(503);

      await redis.restart();
      const deadline = Date.now() + 10_000;
      for (;;) {
        res = await call(server, 'POST', '/v1/takedowns', { region: 'na', sid: 'down1' });
        if (res.status === 202 || Date.now() > deadline) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(res.status).toBe(202);
    });
  });
});
