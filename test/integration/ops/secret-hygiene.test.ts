import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { DEAD_LETTER_QUEUE, TAKEDOWN_QUEUE, maskStreamKey } from '../../../src/jobs/index.js';
import { createSimulator, createSimulatorAdmin } from '../../../src/simulator/index.js';
import type { Simulator } from '../../../src/simulator/index.js';
import { uniquePrefix } from '../../support/isolation.js';
import { startLocalRedis } from '../../support/redis-server.js';
import type { LocalRedis } from '../../support/redis-server.js';
import { waitFor } from '../../support/wait-for.js';
import { spawnWorker } from '../../support/worker-process.js';
import type { WorkerProcess } from '../../support/worker-process.js';

const CUSTOMER_ID = 'hygiene-customer';
const CUSTOMER_SECRET = 'hyg-customer-secret-7Qk2x9Lm';
const INTAKE_TOKEN = 'hyg-intake-token-Zp4Rt8Wc3v';
const DASHBOARD_USER = 'operator';
const DASHBOARD_PASSWORD = 'hyg-dashboard-pw-N6yH1sQe';
const REDIS_PASSWORD = 'hygRedisPw5Tg8Kd2';
const APP_ID = 'hygieneapp01';

const SECRETS: Record<string, string> = {
  'customer secret': CUSTOMER_SECRET,
  'base64(customerId:customerSecret)': Buffer.from(`${CUSTOMER_ID}:${CUSTOMER_SECRET}`).toString(
    'base64',
  ),
  'intake token': INTAKE_TOKEN,
  'dashboard password': DASHBOARD_PASSWORD,
  'base64(user:dashboard password)': Buffer.from(
    `${DASHBOARD_USER}:${DASHBOARD_PASSWORD}`,
  ).toString('base64'),
  'Redis password': REDIS_PASSWORD,
};

function leaks(text: string): string[] {
  return Object.entries(SECRETS)
    .filter(([, secret]) => text.includes(secret))
    .map(([name]) => name);
}

function basic(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
}

/** Every value stored under `prefix`, as text: the DLQ entries, job data, events, batch records. */
async function dumpPrefix(redis: Redis, prefix: string): Promise<{ keys: number; text: string }> {
  const parts: string[] = [];
  let keys = 0;
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
    cursor = next;
    for (const key of batch) {
      keys++;
      const type = await redis.type(key);
      let value: unknown;
      if (type === 'string') value = await redis.get(key);
      else if (type === 'hash') value = await redis.hgetall(key);
      else if (type === 'list') value = await redis.lrange(key, 0, -1);
      else if (type === 'set') value = await redis.smembers(key);
      else if (type === 'zset') value = await redis.zrange(key, 0, -1, 'WITHSCORES');
      else if (type === 'stream') value = await redis.xrange(key, '-', '+');
      parts.push(`${key} ${JSON.stringify(value)}`);
    }
  } while (cursor !== '0');
  return { keys, text: parts.join('\n') };
}

describe('secret hygiene of a real worker process (issue 5)', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it('never prints the customer secret, its Basic value, the intake token, the dashboard or Redis password', async () => {
    // A Redis of its own that requires a password; the worker gets it in REDIS_URL.
    const redisServer: LocalRedis = await startLocalRedis({ password: REDIS_PASSWORD });
    cleanups.push(() => redisServer.close());
    const sim: Simulator = await createSimulator({
      port: 0,
      customerId: CUSTOMER_ID,
      customerSecret: CUSTOMER_SECRET,
      createRps: 0,
      deleteRps: 0,
      queryRps: 0,
      reconnectDelayMs: 100,
    });
    cleanups.push(() => sim.close());
    const admin = createSimulatorAdmin(sim.url);
    const prefix = uniquePrefix('hygiene');
    const redis = new Redis(redisServer.url, { maxRetriesPerRequest: null });
    const queue = new Queue(TAKEDOWN_QUEUE, { connection: redis, prefix });
    const dlq = new Queue(DEAD_LETTER_QUEUE, { connection: redis, prefix });
    cleanups.push(async () => {
      await queue.close();
      await dlq.close();
      await redis.quit();
    });

    const streams = await admin.seed({ appId: APP_ID, region: 'na', count: 6, reconnect: true });
    const [ok1, ok2, ok3, once401, always401, always503] = streams;
    if (!ok1 || !ok2 || !ok3 || !once401 || !always401 || !always503) throw new Error('seed');
    await admin.setFaults({
      rules: [
        // 401 from the API on the revoke, once: dead-lettered, then redriven from the dashboard.
        { op: 'delete-key', streamKey: once401.streamKey, status: 401, count: 1 },
        // 401 on every look-up of this key (enqueued by key only, so resolve looks it up): stays
        // in the DLQ.
        { op: 'query-key', streamKey: always401.streamKey, status: 401 },
        // 503 forever: retried until the attempts run out.
        { op: 'delete-key', streamKey: always503.streamKey, status: 503 },
      ],
    });

    const worker: WorkerProcess = spawnWorker({
      redisUrl: redisServer.url,
      prefix,
      agoraBaseUrl: sim.url,
      customerId: CUSTOMER_ID,
      customerSecret: CUSTOMER_SECRET,
      env: {
        LOG_LEVEL: 'trace',
        AGORA_APP_ID: APP_ID,
        INTAKE_TOKENS: INTAKE_TOKEN,
        DASHBOARD_USER,
        DASHBOARD_PASSWORD,
        TAKEDOWN_ATTEMPTS: '2',
        TAKEDOWN_BACKOFF_MS: '50',
        TAKEDOWN_BACKOFF_MAX_MS: '100',
        TAKEDOWN_VERIFY_DELAY_MS: '50',
        AGORA_DELETE_RPS: '10000',
        AGORA_QUERY_RPS: '10000',
      },
    });
    cleanups.push(() => worker.close());
    await worker.ready();
    const readyLine = worker.logs.find((l) => l.msg === 'worker ready');
    const ops = readyLine?.['ops'] as { url: string; intake: boolean; dashboard: string | false };
    expect(ops.intake).toBe(true);
    expect(ops.dashboard).toBe(`${ops.url}/dashboard`);
    const url = ops.url;

    const post = (path: string, body: unknown, authorization?: string): Promise<Response> =>
      fetch(`${url}${path}`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(authorization === undefined ? {} : { authorization }),
        },
        body: JSON.stringify(body),
      });

    // Refused: no token, a wrong token, a Basic value where a bearer token belongs.
    const one = { region: 'na', streamKey: 'kunknownhygiene01' };
    expect((await post('/v1/takedowns', one)).status).toBe(401);
    expect((await post('/v1/takedowns', one, `Bearer ${INTAKE_TOKEN}x`)).status).toBe(401);
    expect((await post('/v1/takedowns', one, basic('x', INTAKE_TOKEN))).status).toBe(401);
    // Accepted: one request (nothing to find), a duplicate of it, and a batch.
    expect((await post('/v1/takedowns', one, `Bearer ${INTAKE_TOKEN}`)).status).toBe(202);
    expect((await post('/v1/takedowns', one, `Bearer ${INTAKE_TOKEN}`)).status).toBe(200);
    const batchRes = await post(
      '/v1/batches',
      // With both SID and key given resolve asks nothing; by key only it queries the key.
      streams.map((s) =>
        s === always401
          ? { region: 'na', streamKey: s.streamKey }
          : { region: 'na', sid: s.sid, streamKey: s.streamKey },
      ),
      `Bearer ${INTAKE_TOKEN}`,
    );
    expect(batchRes.status).toBe(202);
    const batch = (await batchRes.json()) as { results: { jobId: string }[] };
    const redriveId = batch.results[3]?.jobId;
    if (redriveId === undefined) throw new Error('no job id for the 401-once takedown');

    // 3 + 1 completed; the two 401s and the 503 dead-lettered.
    await waitFor(
      async () => {
        const c = await queue.getJobCounts('completed', 'failed');
        const d = await dlq.getJobCounts('waiting');
        return c['completed'] === 4 && c['failed'] === 3 && d['waiting'] === 3;
      },
      { timeoutMs: 30_000, what: '4 completed, 3 dead-lettered' },
    );

    // Dashboard: refused without or with wrong credentials; with them, the board and its API.
    expect((await fetch(`${url}/dashboard`)).status).toBe(401);
    expect(
      (await fetch(`${url}/dashboard`, { headers: { authorization: basic(DASHBOARD_USER, 'no') } }))
        .status,
    ).toBe(401);
    const auth = { authorization: basic(DASHBOARD_USER, DASHBOARD_PASSWORD) };
    const page = await fetch(`${url}/dashboard`, { headers: auth });
    expect(page.status).toBe(200);
    await page.body?.cancel();
    const apiText = await (
      await fetch(`${url}/dashboard/api/queues?activeQueue=${DEAD_LETTER_QUEUE}&status=waiting`, {
        headers: auth,
      })
    ).text();
    // The DLQ entry is listed, its stream key masked.
    expect(apiText).toContain(maskStreamKey(always401.streamKey));
    expect(apiText).not.toContain(always401.streamKey);
    // Redrive from the dashboard: the 401 was a one-off, so the takedown now completes.
    const retry = await fetch(`${url}/dashboard/api/queues/${TAKEDOWN_QUEUE}/${redriveId}/retry`, {
      method: 'PUT',
      headers: auth,
    });
    expect(retry.status).toBe(204);
    await waitFor(
      async () => {
        const c = await queue.getJobCounts('completed', 'failed');
        return c['completed'] === 5 && c['failed'] === 2;
      },
      { timeoutMs: 30_000, what: 'the redriven takedown completed' },
    );
    const metricsText = await (await fetch(`${url}/metrics`)).text();
    expect(metricsText).toMatch(/^takedown_jobs_total\{outcome="dead-lettered"\} 3$/m);
    expect((await fetch(`${url}/readyz`)).status).toBe(200);

    worker.kill('SIGTERM');
    expect(await worker.exited).toEqual({ code: 0, signal: null });

    // The run did produce the lines a leak would be in (trace level, failures, 401s).
    const logs = worker.logs;
    expect(logs.some((l) => l.level === 10 || l.level === 20)).toBe(true);
    expect(logs.some((l) => l.msg === 'agora call failed' && l['status'] === 401)).toBe(true);
    expect(logs.some((l) => l.msg === 'agora call failed' && l['status'] === 503)).toBe(true);
    expect(logs.some((l) => l.msg === 'ops http request' && l['status'] === 401)).toBe(true);
    expect(logs.some((l) => l.msg === 'dashboard action')).toBe(true);

    const entries = (await dlq.getJobs(['waiting'])).map((j) => j.data as Record<string, unknown>);
    expect(entries).toHaveLength(2);
    expect(entries.map((e) => (e['error'] as { status?: number }).status).sort()).toEqual([
      401, 503,
    ]);
    const stored = await dumpPrefix(redis, prefix);
    expect(stored.keys).toBeGreaterThan(10);

    expect({
      stdout: leaks(worker.stdout()),
      stderr: leaks(worker.stderr()),
      dlqEntries: leaks(JSON.stringify(entries)),
      redis: leaks(stored.text),
      dashboardApi: leaks(apiText),
      metrics: leaks(metricsText),
    }).toEqual({
      stdout: [],
      stderr: [],
      dlqEntries: [],
      redis: [],
      dashboardApi: [],
      metrics: [],
    });
  });
});
