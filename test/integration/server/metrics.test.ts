import { Queue } from 'bullmq';
import { afterEach, describe, expect, it } from 'vitest';
import {
  DEAD_LETTER_JOB_NAME,
  DEAD_LETTER_QUEUE,
  TAKEDOWN_JOB_NAME,
  TAKEDOWN_QUEUE,
} from '../../../src/jobs/index.js';
import { createMetrics, createQueueCountsReader } from '../../../src/metrics/index.js';
import { createOpsServer } from '../../../src/server/index.js';
import type { OpsServer } from '../../../src/server/index.js';
import { redisUrl, uniquePrefix } from '../../support/isolation.js';
import { startLocalRedis } from '../../support/redis-server.js';
import type { LocalRedis } from '../../support/redis-server.js';
import { parsePrometheusText, sampleValue } from '../../support/parse-prometheus-text.js';

const silent = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

const toClose: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of toClose.splice(0).reverse()) await close();
});

async function serve(
  queue: Queue,
  dlq: Queue,
): Promise<{ server: OpsServer; scrape: () => Promise<ReturnType<typeof parsePrometheusText>> }> {
  const metrics = createMetrics({ queueCountsTimeoutMs: 1000 });
  metrics.collectQueueCounts(createQueueCountsReader({ queue, dlq }));
  const server = await createOpsServer({
    host: '127.0.0.1',
    port: 0,
    logger: silent,
    metrics,
    isReady: () => Promise.resolve({ ready: true }),
  });
  toClose.push(() => server.close());
  const scrape = async (): Promise<ReturnType<typeof parsePrometheusText>> => {
    const res = await fetch(`${server.url}/metrics`);
    expect(res.status).toBe(200);
    return parsePrometheusText(await res.text());
  };
  return { server, scrape };
}

describe('/metrics queue gauges from real queues', () => {
  it('reports jobs per queue and state, and the DLQ depth, read at scrape time', async () => {
    const prefix = uniquePrefix('metrics');
    const queue = new Queue(TAKEDOWN_QUEUE, { connection: { url: redisUrl() }, prefix });
    const dlq = new Queue(DEAD_LETTER_QUEUE, { connection: { url: redisUrl() }, prefix });
    toClose.push(
      () => queue.close(),
      () => dlq.close(),
    );
    await queue.add(TAKEDOWN_JOB_NAME, {}, { jobId: 'sid-a-w1' });
    await queue.add(TAKEDOWN_JOB_NAME, {}, { jobId: 'sid-a-w2' });
    await queue.add(TAKEDOWN_JOB_NAME, {}, { jobId: 'sid-a-p1', priority: 1 });
    await queue.add(TAKEDOWN_JOB_NAME, {}, { jobId: 'expire-a-k1', delay: 60_000 });
    await dlq.add(DEAD_LETTER_JOB_NAME, {}, { jobId: 'sid-a-d1' });
    await dlq.add(DEAD_LETTER_JOB_NAME, {}, { jobId: 'sid-a-d2' });
    await dlq.add(DEAD_LETTER_JOB_NAME, {}, { jobId: 'sid-a-d3' });

    const { scrape } = await serve(queue, dlq);
    let families = await scrape();
    const gauge = (q: string, state: string): number | undefined =>
      sampleValue(families, 'takedown_queue_jobs', { queue: q, state });
    expect(gauge('takedown', 'waiting')).toBe(2);
    expect(gauge('takedown', 'prioritized')).toBe(1);
    expect(gauge('takedown', 'delayed')).toBe(1);
    expect(gauge('takedown', 'active')).toBe(0);
    expect(gauge('takedown', 'failed')).toBe(0);
    expect(gauge('takedown', 'completed')).toBe(0);
    expect(gauge('takedown-dlq', 'waiting')).toBe(3);
    expect(sampleValue(families, 'takedown_dlq_jobs')).toBe(3);

    await dlq.remove('sid-a-d1');
    families = await scrape();
    expect(sampleValue(families, 'takedown_dlq_jobs')).toBe(2);
    expect(sampleValue(families, 'takedown_queue_counts_errors_total')).toBe(0);
    // The default process metrics are there too.
    expect(families.get('process_resident_memory_bytes')?.type).toBe('gauge');
  });

  describe('with Redis down', () => {
    // Closed last (toClose runs in reverse), after the clients that use it.
    async function ownRedis(): Promise<LocalRedis> {
      const redis = await startLocalRedis();
      toClose.push(() => redis.close());
      return redis;
    }

    it('still answers /metrics promptly, with the queue gauges empty and the DLQ depth NaN', async () => {
      const redis = await ownRedis();
      const prefix = uniquePrefix('metricsdown');
      // BullMQ's default connection queues commands while disconnected: exactly the hang the
      // scrape-time timeout exists for.
      const queue = new Queue(TAKEDOWN_QUEUE, { connection: { url: redis.url }, prefix });
      const dlq = new Queue(DEAD_LETTER_QUEUE, { connection: { url: redis.url }, prefix });
      queue.on('error', () => undefined);
      dlq.on('error', () => undefined);
      toClose.push(
        () => queue.close(),
        () => dlq.close(),
      );
      await dlq.add(DEAD_LETTER_JOB_NAME, {}, { jobId: 'sid-a-d1' });
      const { scrape } = await serve(queue, dlq);
      expect(sampleValue(await scrape(), 'takedown_dlq_jobs')).toBe(1);

      await redis.stop();
      const started = Date.now();
      const families = await scrape();
      expect(Date.now() - started).toBeLessThan(5000);
      expect(families.get('takedown_queue_jobs')?.samples).toEqual([]);
      expect(sampleValue(families, 'takedown_dlq_jobs')).toBeNaN();
      expect(sampleValue(families, 'takedown_queue_counts_errors_total')).toBe(1);

      await redis.restart();
      const deadline = Date.now() + 15_000;
      let depth: number | undefined;
      do {
        depth = sampleValue(await scrape(), 'takedown_dlq_jobs');
      } while (depth !== 1 && Date.now() < deadline);
      expect(depth).toBe(1);
    });
  });
});
