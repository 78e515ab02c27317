import { createServer } from 'node:net';
import type { Server } from 'node:net';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../../../src/cli/main.js';
import { startLocalRedis } from '../../support/redis-server.js';
import type { LocalRedis } from '../../support/redis-server.js';
import { waitFor } from '../../support/wait-for.js';
import { APP_ID, createOpsWorld, waitForCounts } from './ops-harness.js';
import type { OpsWorld } from './ops-harness.js';

const TOKEN = 'ops-intake-token-0123456789';

async function readyz(opsUrl: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${opsUrl}/readyz`);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('the ops server started by runWorker', () => {
  let world: OpsWorld | undefined;
  const servers: Server[] = [];
  afterEach(async () => {
    await world?.close();
    world = undefined;
    for (const s of servers.splice(0)) await new Promise<void>((r) => s.close(() => r()));
  });

  it('readiness: 200 while the worker runs, 503 as soon as the shutdown begins, gone after it', async () => {
    world = await createOpsWorld();
    const w = world;
    // Slow API calls keep the job active through the shutdown (a verify settle would park it).
    await w.admin.setFaults({ latencyMs: 1200 });
    const worker = await w.startWorker({ TAKEDOWN_VERIFY: 'false' });
    expect((await fetch(`${worker.opsUrl}/healthz`)).status).toBe(200);
    await waitFor(async () => (await readyz(worker.opsUrl)).status === 200, {
      what: '/readyz 200',
    });
    expect((await readyz(worker.opsUrl)).body).toEqual({ status: 'ready' });

    const [stream] = await w.admin.seed({ appId: APP_ID, region: 'na', count: 1 });
    if (stream === undefined) throw new Error('no stream seeded');
    await w.producer.enqueue({ region: 'na', sid: stream.sid, streamKey: stream.streamKey });
    await waitFor(async () => (await w.queue.getActiveCount()) === 1, { what: 'the active job' });

    worker.signal();
    const during = await waitFor(
      async () => {
        const r = await readyz(worker.opsUrl);
        return r.status === 503 ? r : undefined;
      },
      { what: '/readyz 503' },
    );
    expect(during.body).toEqual({ status: 'not-ready', reason: 'shutting down' });
    // Still shutting down: the job is active, and liveness is unaffected.
    expect(await w.queue.getActiveCount()).toBe(1);
    expect((await fetch(`${worker.opsUrl}/healthz`)).status).toBe(200);

    expect(await worker.exited).toBe(0);
    await waitForCounts(w.queue, { completed: 1 });
    await expect(fetch(`${worker.opsUrl}/readyz`)).rejects.toThrow();
  });

  it('readiness follows Redis: 503 naming Redis while it is down, 200 again once it is back', async () => {
    world = await createOpsWorld();
    // A Redis of this test's own: stopping the shared one would break every other test.
    const own: LocalRedis = await startLocalRedis();
    try {
      const worker = await world.startWorker({ REDIS_URL: own.url, LOG_LEVEL: 'info' });
      await waitFor(async () => (await readyz(worker.opsUrl)).status === 200, {
        what: '/readyz 200',
      });
      await own.stop();
      const down = await waitFor(
        async () => {
          const r = await readyz(worker.opsUrl);
          return r.status === 503 ? r : undefined;
        },
        { what: '/readyz 503' },
      );
      expect(String(down.body['reason'])).toMatch(/^Redis unreachable/);
      // Metrics still answer, with the DLQ depth unknown rather than a stale number.
      const metrics = await (await fetch(`${worker.opsUrl}/metrics`)).text();
      expect(metrics).toMatch(/^takedown_dlq_jobs nan$/im);
      await own.restart();
      await waitFor(async () => (await readyz(worker.opsUrl)).status === 200, {
        timeoutMs: 15_000,
        what: '/readyz 200 again',
      });
      expect(await worker.stop()).toBe(0);
    } finally {
      await own.close();
    }
  });

  it('intake: a batch of 500 through POST /v1/batches is completed by the worker (100 %)', async () => {
    world = await createOpsWorld();
    const w = world;
    const worker = await w.startWorker({
      INTAKE_TOKENS: TOKEN,
      WORKER_CONCURRENCY: '50',
      LOG_LEVEL: 'info',
    });
    const streams = await w.admin.seed({
      appId: APP_ID,
      region: 'na',
      count: 500,
      reconnect: false,
    });
    const res = await fetch(`${worker.opsUrl}/v1/batches`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify(
        streams.map((s) => ({ region: 'na', sid: s.sid, streamKey: s.streamKey })),
      ),
    });
    expect(res.status).toBe(202);
    const batch = (await res.json()) as {
      batchId: string;
      counts: { enqueued: number };
      results: { jobId?: string }[];
    };
    expect(batch.counts.enqueued).toBe(500);

    const progress = await waitFor(
      async () => {
        const r = await fetch(`${worker.opsUrl}/v1/batches/${batch.batchId}`, {
          headers: { authorization: `Bearer ${TOKEN}` },
        });
        const body = (await r.json()) as { completedPercent: number };
        return body.completedPercent === 100 ? body : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 250, what: 'batch at 100 %' },
    );
    expect(progress).toMatchObject({
      kind: 'batch',
      batchId: batch.batchId,
      total: 500,
      completedPercent: 100,
      counts: { completed: 500 },
    });
    expect(await w.queue.getJobCounts('completed', 'failed')).toEqual({
      completed: 500,
      failed: 0,
    });
    expect(await w.admin.streams({ appId: APP_ID })).toEqual([]);

    const one = batch.results[0]?.jobId ?? '';
    const status = await fetch(`${worker.opsUrl}/v1/takedowns/${encodeURIComponent(one)}`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(status.status).toBe(200);
    expect(await status.json()).toMatchObject({ jobId: one, state: 'completed' });
    expect(await worker.stop()).toBe(0);
  });

  it('HTTP port taken: `takedown worker` exits 1 naming the address and HTTP_PORT', async () => {
    world = await createOpsWorld();
    const blocker = createServer();
    servers.push(blocker);
    const port = await new Promise<number>((resolve) => {
      blocker.listen(0, '127.0.0.1', () => {
        const addr = blocker.address();
        resolve(typeof addr === 'object' && addr !== null ? addr.port : 0);
      });
    });
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    let err = '';
    stderr.on('data', (d: Buffer) => {
      err += d.toString();
    });
    const code = await runCli(['node', 'takedown', 'worker'], {
      env: world.env({ HTTP_PORT: String(port), LOG_LEVEL: 'silent' }),
      stdout,
      stderr,
      isTTY: false,
      waitForSignal: () => new Promise<NodeJS.Signals>(() => {}),
    });
    expect(code).toBe(1);
    expect(err).toContain(`127.0.0.1:${port}`);
    expect(err).toContain('HTTP_PORT');
    expect(err).toMatch(/EADDRINUSE|address already in use/);
    // Nothing was consumed: the worker never started.
    expect(await world.queue.getJobCounts('active', 'completed')).toEqual({
      active: 0,
      completed: 0,
    });
  });
});
