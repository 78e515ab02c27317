import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { DEAD_LETTER_QUEUE, TAKEDOWN_QUEUE, maskStreamKey } from '../../../src/jobs/index.js';
import { createSimulator, createSimulatorAdmin } from '../../../src/simulator/index.js';
import { runTakedown } from '../cli/run-takedown.js';
import { redisUrl, uniquePrefix } from '../../support/isolation.js';
import { waitFor } from '../../support/wait-for.js';
import { spawnWorker } from '../../support/worker-process.js';

const CUSTOMER_ID = 'keyhyg-customer';
const CUSTOMER_SECRET = 'keyhyg-secret-4Jd8s';
const DASHBOARD_USER = 'operator';
const DASHBOARD_PASSWORD = 'keyhyg-dash-pw-2Lq';
const APP_ID = 'keyhygieneapp01';

function basic(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
}

async function keyNames(redis: Redis, prefix: string): Promise<string> {
  const names: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
    cursor = next;
    names.push(...batch);
  } while (cursor !== '0');
  return names.join('\n');
}

describe('stream keys are credentials (issue 11)', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it('a trace-level run (batch, expiry, DLQ entry, dashboard, CLI) shows no full stream key outside job data', async () => {
    const sim = await createSimulator({
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
    const prefix = uniquePrefix('keyhyg');
    const redis = new Redis(redisUrl(), { maxRetriesPerRequest: null });
    const queue = new Queue(TAKEDOWN_QUEUE, { connection: redis, prefix });
    const dlq = new Queue(DEAD_LETTER_QUEUE, { connection: redis, prefix });
    cleanups.push(async () => {
      await queue.obliterate({ force: true });
      await dlq.obliterate({ force: true });
      await redis.del(`${prefix}:migration:key-fingerprint-ids-since`);
      await queue.close();
      await dlq.close();
      await redis.quit();
    });

    const streams = await admin.seed({ appId: APP_ID, region: 'na', count: 4, reconnect: true });
    const [byKey, bySid, expiring, dead] = streams;
    if (!byKey || !bySid || !expiring || !dead) throw new Error('seed');
    const keys = streams.map((s) => s.streamKey);
    for (const key of keys) expect(key.length).toBeGreaterThanOrEqual(16);
    // Every look-up of this key fails for good: its takedown is dead-lettered, key still valid.
    await admin.setFaults({ rules: [{ op: 'query-key', streamKey: dead.streamKey, status: 401 }] });

    const worker = spawnWorker({
      redisUrl: redisUrl(),
      prefix,
      agoraBaseUrl: sim.url,
      customerId: CUSTOMER_ID,
      customerSecret: CUSTOMER_SECRET,
      env: {
        LOG_LEVEL: 'trace',
        AGORA_APP_ID: APP_ID,
        DASHBOARD_USER,
        DASHBOARD_PASSWORD,
        TAKEDOWN_ATTEMPTS: '2',
        TAKEDOWN_BACKOFF_MS: '50',
        TAKEDOWN_BACKOFF_MAX_MS: '100',
        TAKEDOWN_VERIFY_DELAY_MS: '50',
      },
    });
    cleanups.push(() => worker.close());
    await worker.ready();
    const ops = worker.logs.find((l) => l.msg === 'worker ready')?.['ops'] as { url: string };
    const env = { REDIS_URL: redisUrl(), TAKEDOWN_PREFIX: prefix, AGORA_APP_ID: APP_ID };

    const dir = mkdtempSync(join(tmpdir(), 'takedown-keyhyg-'));
    cleanups.push(() => Promise.resolve(rmSync(dir, { recursive: true, force: true })));
    const file = join(dir, 'batch.csv');
    writeFileSync(
      file,
      [
        'sid,streamKey,region,appId,channel,reason',
        `,${byKey.streamKey},na,,,by key`,
        `${bySid.sid},${bySid.streamKey},na,,,by sid and key`,
        `,${dead.streamKey},na,,,dead`,
        // A rejected row: its message names the field without echoing the key.
        `,${dead.streamKey}!,na,,,bad key`,
      ].join('\n'),
    );
    const cli: string[] = [];
    const run = async (args: string[]): Promise<string> => {
      const result = await runTakedown(args, { env, timeoutMs: 60_000 });
      const text = `${result.stdout}\n${result.stderr}`;
      cli.push(text);
      return result.stdout;
    };
    await run(['batch', file]);
    await run(['expire', '--region', 'na', '--key', expiring.streamKey, '--in', '2s']);
    await run(['expire', '--list']);
    await run(['expire', '--list', '--json']);

    await waitFor(
      async () => {
        const c = await queue.getJobCounts('completed');
        const d = await dlq.getJobCounts('waiting');
        return c['completed'] === 3 && d['waiting'] === 1;
      },
      { timeoutMs: 60_000, what: '3 completed (batch + expiry), 1 dead-lettered' },
    );

    const ids = (await queue.getJobs(['completed', 'failed', 'waiting', 'delayed'])).map(
      (j) => j.id ?? '',
    );
    const [dlqEntry] = await dlq.getJobs(['waiting']);
    const deadJobId = (dlqEntry?.data as { jobId: string }).jobId;
    expect(deadJobId).toMatch(/^key-/);
    await run(['dlq', 'list']);
    await run(['dlq', 'list', '--json']);
    await run(['dlq', 'show', deadJobId]);
    await run(['dlq', 'show', deadJobId, '--json']);
    await run(['status', deadJobId]);
    await run(['status', deadJobId, '--json']);
    await run(['stats']);
    // Given the key: status by key still finds the takedown (human output masked).
    const byKeyStatus = await run(['status', '--key', byKey.streamKey]);
    expect(byKeyStatus).toMatch(/state\s+completed/);
    expect(byKeyStatus).toContain(maskStreamKey(byKey.streamKey));

    const auth = { authorization: basic(DASHBOARD_USER, DASHBOARD_PASSWORD) };
    const dashboard: string[] = [];
    for (const path of [
      '/dashboard',
      `/dashboard/queue/${TAKEDOWN_QUEUE}`,
      `/dashboard/api/queues?activeQueue=${TAKEDOWN_QUEUE}&status=completed`,
      `/dashboard/api/queues?activeQueue=${DEAD_LETTER_QUEUE}&status=waiting`,
      `/dashboard/api/queues/${TAKEDOWN_QUEUE}/${deadJobId}`,
      `/dashboard/api/queues/${DEAD_LETTER_QUEUE}/${deadJobId}`,
      `/dashboard/api/queues/${TAKEDOWN_QUEUE}/${deadJobId}/logs`,
    ]) {
      const res = await fetch(`${ops.url}${path}`, { headers: auth });
      expect(res.status, path).toBe(200);
      dashboard.push(await res.text());
    }
    // The dashboard does show the entry, masked.
    expect(dashboard[3]).toContain(maskStreamKey(dead.streamKey));
    const metricsText = await (await fetch(`${ops.url}/metrics`)).text();
    const redisKeyNames = await keyNames(redis, prefix);

    worker.kill('SIGTERM');
    expect(await worker.exited).toEqual({ code: 0, signal: null });
    const logs = worker.logs;
    // The run produced the lines a leak would be in: trace lines about each key's calls.
    expect(logs.some((l) => l.level === 10 || l.level === 20)).toBe(true);
    expect(logs.some((l) => l.msg === 'agora call failed' && l['status'] === 401)).toBe(true);
    expect(logs.some((l) => l['streamKey'] === maskStreamKey(dead.streamKey))).toBe(true);

    const places: Record<string, string> = {
      stdout: worker.stdout(),
      stderr: worker.stderr(),
      redisKeyNames,
      jobIds: ids.join('\n'),
      metrics: metricsText,
      dashboard: dashboard.join('\n'),
      cli: cli.join('\n'),
    };
    const found = Object.entries(places).flatMap(([where, text]) =>
      keys.filter((key) => text.includes(key)).map((key) => `${where}: ${maskStreamKey(key)}`),
    );
    expect(found).toEqual([]);
    // The keys are in Redis job data, where the worker needs them.
    const stored = await queue.getJob(ids.find((id) => id.startsWith('key-')) ?? '');
    expect(keys).toContain((stored?.data as { payload: { streamKey: string } }).payload.streamKey);
  }, 180_000);
});
