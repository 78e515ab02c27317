import { afterEach, describe, expect, it } from 'vitest';
import { OP_CLASS } from '../../../src/agora/index.js';
import type { CallLogEntry } from '../../../src/simulator/index.js';
import { spawnWorker } from '../../support/worker-process.js';
import type { WorkerProcess } from '../../support/worker-process.js';
import { APP_ID, CUSTOMER_ID, CUSTOMER_SECRET, createHarness, waitForFinished } from './harness.js';
import type { Harness } from './harness.js';

/** Delete calls per second: the simulator's limit and the workers' configured budget. */
const L = 20;
/** Key+SID takedowns; each makes two delete-class calls (key DELETE, then disconnect). */
const N = 80;
/**
 * Calls the worker limiter lets through at once from idle: GCRA with one interval of tolerance
 * books two slots at t0 (src/worker/rate-limiter.ts, TOLERANCE_INTERVALS = 1).
 */
const WORKER_BURST = 2;
/**
 * Per process. Two processes keep at most 10 jobs waiting for a delete slot, i.e. a backlog of
 * 10/L = 0.5 s: enough to keep the budget saturated through scheduling hiccups, well below the
 * limiter's 2 s hold limit (beyond it a job would back off instead of waiting).
 */
const CONCURRENCY = 5;

const isDeleteClass = (c: CallLogEntry): boolean =>
  c.op !== 'unknown' && OP_CLASS[c.op] === 'delete';

describe('rate limit across worker processes (issue 3, test 6)', () => {
  let h: Harness | undefined;
  const processes: WorkerProcess[] = [];
  afterEach(async () => {
    await Promise.all(processes.splice(0).map((p) => p.close()));
    await h?.close();
    h = undefined;
  });

  it(`two workers at ${L} deletes/s against a simulator limit of ${L}/s: zero 429s, time within 20% of 2N/L`, async () => {
    // Queries stay unlimited on both sides: only the delete budget is under test.
    h = await createHarness({ simulator: { deleteRps: L, queryRps: 0, reconnectDelayMs: 100 } });
    const harness = h;
    const env = {
      AGORA_DELETE_RPS: String(L),
      AGORA_QUERY_RPS: '10000',
      WORKER_CONCURRENCY: String(CONCURRENCY),
      TAKEDOWN_VERIFY: 'false',
      TAKEDOWN_BACKOFF_MS: '50',
      TAKEDOWN_BACKOFF_MAX_MS: '500',
    };
    const workers = [0, 1].map(() => {
      const p = spawnWorker({
        redisUrl: harness.redisUrl,
        prefix: harness.prefix,
        agoraBaseUrl: harness.sim.url,
        customerId: CUSTOMER_ID,
        customerSecret: CUSTOMER_SECRET,
        env,
      });
      processes.push(p);
      return p;
    });
    await Promise.all(workers.map((w) => w.ready()));

    // No reconnects: every delete-class call in the log is one of the 2N planned ones.
    const streams = await harness.admin.seed({
      appId: APP_ID,
      region: 'na',
      count: N,
      reconnect: false,
    });
    const res = await harness.producer.enqueueMany(
      streams.map((s) => ({ region: 'na', sid: s.sid, streamKey: s.streamKey })),
    );
    expect(res.counts.enqueued).toBe(N);

    const theoreticalMs = ((2 * N) / L) * 1000;
    expect(await waitForFinished(harness.queue, N, theoreticalMs * 3)).toEqual({
      completed: N,
      failed: 0,
    });

    const calls = await harness.admin.calls();
    expect(calls.filter((c) => c.status === 429)).toEqual([]);
    const deletes = calls.filter(isDeleteClass);
    expect(deletes.filter((c) => c.op === 'delete-key' && c.status === 200)).toHaveLength(N);
    expect(deletes.filter((c) => c.op === 'disconnect' && c.status === 200)).toHaveLength(N);
    expect(deletes).toHaveLength(2 * N);

    const times = deletes.map((c) => c.time);
    const elapsedMs = Math.max(...times) - Math.min(...times);
    const ratio = elapsedMs / theoreticalMs;
    const perWorker = workers.map(
      (w) => w.logs.filter((l) => l.msg === 'takedown completed').length,
    );
    console.info(
      `[rate-limit] L=${L}/s, N=${N} key+SID takedowns (${2 * N} delete calls), 2 worker ` +
        `processes x concurrency ${CONCURRENCY} (jobs per process: ${perWorker.join('/')}): first-to-last delete ${elapsedMs} ms, ` +
        `theoretical minimum 2N/L = ${theoreticalMs} ms, ratio ${ratio.toFixed(3)}, 429s: 0`,
    );
    expect(elapsedMs).toBeLessThanOrEqual(1.2 * theoreticalMs);
    // The limiter, not luck, paced the calls: without it they would all go out within ~1 s.
    expect(elapsedMs).toBeGreaterThanOrEqual(0.9 * ((2 * N - WORKER_BURST) / L) * 1000);

    // Both processes took part, so the budget really was shared between them.
    for (const count of perWorker) expect(count).toBeGreaterThan(0);
    const live = await harness.admin.streams({ appId: APP_ID });
    expect(live).toEqual([]);
  });
});
