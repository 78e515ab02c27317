import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../../support/redis-server.js';
import { waitFor } from '../../support/wait-for.js';
import { spawnWorker } from '../../support/worker-process.js';
import type { WorkerProcess, WorkerProcessOptions } from '../../support/worker-process.js';
import { orderViolations } from './call-order.js';
import { APP_ID, CUSTOMER_ID, CUSTOMER_SECRET, createHarness, waitForFinished } from './harness.js';
import type { Harness } from './harness.js';

/** Short lock/stall settings so that a killed worker's jobs come back within seconds. */
const FAST_RECOVERY = {
  WORKER_LOCK_DURATION_MS: '1000',
  WORKER_STALLED_INTERVAL_MS: '1000',
  WORKER_MAX_STALLED_COUNT: '1',
  TAKEDOWN_BACKOFF_MS: '50',
  TAKEDOWN_BACKOFF_MAX_MS: '500',
  AGORA_DELETE_RPS: '10000',
  AGORA_QUERY_RPS: '10000',
};

describe('worker processes (issue 3, tests 7 and 9)', () => {
  let h: Harness | undefined;
  const processes: WorkerProcess[] = [];
  afterEach(async () => {
    await Promise.all(processes.splice(0).map((p) => p.close()));
    await h?.close();
    h = undefined;
  });

  function spawn(harness: Harness, env: Record<string, string>): WorkerProcess {
    const options: WorkerProcessOptions = {
      redisUrl: harness.redisUrl,
      prefix: harness.prefix,
      agoraBaseUrl: harness.sim.url,
      customerId: CUSTOMER_ID,
      customerSecret: CUSTOMER_SECRET,
      env,
    };
    const p = spawnWorker(options);
    processes.push(p);
    return p;
  }

  async function enqueueSeeded(
    harness: Harness,
    count: number,
  ): Promise<{ ids: string[]; keys: Set<string> }> {
    const streams = await harness.admin.seed({
      appId: APP_ID,
      region: 'na',
      count,
      reconnect: true,
    });
    const res = await harness.producer.enqueueMany(
      streams.map((s) => ({ region: 'na', sid: s.sid, streamKey: s.streamKey })),
    );
    expect(res.counts.enqueued).toBe(count);
    return {
      ids: res.results.flatMap((i) => ('jobId' in i ? [i.jobId] : [])),
      keys: new Set(streams.map((s) => s.streamKey)),
    };
  }

  it('crash: jobs of a SIGKILLed worker are completed by another worker; nothing lost, DLQ empty', async () => {
    h = await createHarness({ simulator: { reconnectDelayMs: 100 } });
    const harness = h;
    const env = { ...FAST_RECOVERY, WORKER_CONCURRENCY: '10', TAKEDOWN_VERIFY_DELAY_MS: '1500' };
    const a = spawn(harness, env);
    await a.ready();
    const { ids, keys } = await enqueueSeeded(harness, 30);
    // Crash during the settle: ten jobs past their disconnect wait it out parked (delayed)...
    await waitFor(async () => (await harness.queue.getDelayedCount()) >= 10, {
      what: '10 jobs parked for the verify settle',
    });
    // ...while ten more hang in an API call, active in A.
    await harness.admin.setFaults({ latencyMs: 30_000 });
    await waitFor(async () => (await harness.queue.getActiveCount()) === 10, {
      what: '10 active jobs',
    });
    const settling = (await Promise.all(ids.map((id) => harness.queue.getJob(id)))).flatMap((j) =>
      j !== undefined && j.data.progress?.step === 'verify' ? [j] : [],
    );
    a.kill('SIGKILL');
    const killedAt = performance.now();
    expect((await a.exited).signal).toBe('SIGKILL');
    await harness.admin.setFaults({ latencyMs: null });

    const b = spawn(harness, env);
    await b.ready();
    const finished = await waitForFinished(harness.queue, 30, 45_000);
    const recoveryMs = performance.now() - killedAt;
    expect(finished).toEqual({ completed: 30, failed: 0 });
    const jobs = await Promise.all(ids.map((id) => harness.queue.getJob(id)));
    const rerun = jobs.filter((j) => (j?.stalledCounter ?? 0) > 0).length;
    console.info(
      `[crash] killed a worker with 10 active jobs; a second worker finished all 30 jobs ` +
        `${Math.round(recoveryMs)} ms after the kill; ${rerun} jobs were re-run after a stall`,
    );
    // The ten jobs active in A stalled (a busy box may add a late lock renewal or two with the
    // 1 s lock of this test); the ones parked for the settle were never A's to lose.
    expect(rerun).toBeGreaterThanOrEqual(10);
    expect(settling.length).toBeGreaterThanOrEqual(10);
    for (const parked of settling) {
      const job = jobs.find((j) => j?.id === parked.id);
      expect(job?.returnvalue).toMatchObject({ verifyRounds: 1 });
    }
    expect(await harness.producer.listDead()).toEqual([]);
    const live = (await harness.admin.streams({ appId: APP_ID })).filter((s) =>
      keys.has(s.streamKey),
    );
    expect(live).toEqual([]);
    // Every re-run resumed from its cursor: one successful revoke per key, in order.
    const calls = await harness.admin.calls();
    expect(calls.filter((c) => c.op === 'delete-key' && c.status === 200)).toHaveLength(30);
    const sidToKey = new Map<string, string>();
    for (const job of jobs) {
      const payload = job?.data.payload;
      if (payload?.sid !== undefined && payload.streamKey !== undefined)
        sidToKey.set(payload.sid, payload.streamKey);
    }
    expect(orderViolations(calls, sidToKey)).toEqual([]);
  });

  it('a job that stalls more than WORKER_MAX_STALLED_COUNT times lands in the DLQ as stalled', async () => {
    h = await createHarness({ simulator: { reconnectDelayMs: 100 } });
    const harness = h;
    const env = {
      ...FAST_RECOVERY,
      WORKER_MAX_STALLED_COUNT: '0',
      WORKER_CONCURRENCY: '2',
      TAKEDOWN_VERIFY_DELAY_MS: '300',
    };
    const a = spawn(harness, env);
    await a.ready();
    const { ids } = await enqueueSeeded(harness, 2);
    // Kill only once both jobs have persisted their cursor at verify (the disconnect answer alone
    // comes before the worker saves the step, so killing then would race the persist).
    await waitFor(
      async () => {
        const jobs = await Promise.all(ids.map((id) => harness.queue.getJob(id)));
        return jobs.every(
          (j) =>
            (j?.data as { progress?: { step?: string } } | undefined)?.progress?.step === 'verify',
        );
      },
      { what: 'both jobs persisted at verify' },
    );
    // Back from the settle, both hang in the verify call: active in A when it dies.
    await harness.admin.setFaults({ latencyMs: 30_000 });
    await waitFor(async () => (await harness.queue.getActiveCount()) === 2, {
      what: 'both jobs active at verify',
    });
    a.kill('SIGKILL');
    await a.exited;
    await harness.admin.setFaults({ latencyMs: null });
    const b = spawn(harness, env);
    await b.ready();
    const dead = await waitFor(
      async () => {
        const entries = await harness.producer.listDead();
        return entries.length === 2 ? entries : undefined;
      },
      { timeoutMs: 20_000, what: 'two stalled jobs in the DLQ' },
    );
    for (const entry of dead) {
      expect(ids).toContain(entry.jobId);
      expect(entry).toMatchObject({ reason: 'stalled', failedStep: 'verify' });
      expect(entry.error.message).toBe('job stalled more than allowable limit');
    }
  });

  it('shutdown: SIGTERM with jobs active lets them finish and exits 0 within the deadline', async () => {
    h = await createHarness({ simulator: { reconnectDelayMs: 100 } });
    const harness = h;
    const deadlineMs = 10_000;
    const w = spawn(harness, {
      ...FAST_RECOVERY,
      WORKER_CONCURRENCY: '5',
      TAKEDOWN_VERIFY: 'false',
      WORKER_SHUTDOWN_TIMEOUT_MS: String(deadlineMs),
    });
    await w.ready();
    // Each call takes 1.5 s: the jobs are active when the signal comes.
    await harness.admin.setFaults({ latencyMs: 1500 });
    const { ids } = await enqueueSeeded(harness, 5);
    await waitFor(async () => (await harness.queue.getActiveCount()) === 5, {
      what: '5 active jobs',
    });
    w.kill('SIGTERM');
    const signalledAt = performance.now();
    const exit = await w.exited;
    const shutdownMs = performance.now() - signalledAt;
    console.info(
      `[shutdown] SIGTERM with 5 active jobs: exit code ${exit.code} after ${Math.round(shutdownMs)} ms`,
    );
    expect(exit).toEqual({ code: 0, signal: null });
    expect(shutdownMs).toBeLessThan(deadlineMs);
    for (const id of ids) {
      const job = await harness.queue.getJob(id);
      expect(await job?.getState()).toBe('completed');
      expect(job?.attemptsStarted).toBe(1);
    }
    expect(w.logs.some((l) => l.msg === 'worker stopped')).toBe(true);
  });

  it('a second signal during shutdown exits at once and leaves the active jobs to the stall check', async () => {
    h = await createHarness({ simulator: { reconnectDelayMs: 100 } });
    const harness = h;
    const env = { ...FAST_RECOVERY, WORKER_CONCURRENCY: '3', TAKEDOWN_VERIFY: 'false' };
    const w = spawn(harness, env);
    await w.ready();
    // The calls hang: the jobs stay active through the shutdown.
    await harness.admin.setFaults({ latencyMs: 30_000 });
    const { ids } = await enqueueSeeded(harness, 3);
    await waitFor(async () => (await harness.queue.getActiveCount()) === 3, {
      what: '3 active jobs',
    });
    w.kill('SIGTERM');
    await w.waitForLog((l) => typeof l.msg === 'string' && l.msg.startsWith('shutting down'));
    const signalledAt = performance.now();
    w.kill('SIGINT');
    const exit = await w.exited;
    expect(exit.code).toBe(130);
    expect(performance.now() - signalledAt).toBeLessThan(2000);
    expect(await harness.queue.getActiveCount()).toBe(3);

    await harness.admin.setFaults({ latencyMs: null });
    const b = spawn(harness, env);
    await b.ready();
    expect(await waitForFinished(harness.queue, 3, 30_000)).toEqual({ completed: 3, failed: 0 });
    for (const id of ids) expect((await harness.queue.getJob(id))?.attemptsStarted).toBe(2);
  });

  it('exits 1 with a clear message when Redis is unreachable at start', async () => {
    h = await createHarness();
    const port = await freePort();
    const w = spawnWorker({
      redisUrl: `redis://:sup3rs3cret@127.0.0.1:${port}`,
      prefix: h.prefix,
      agoraBaseUrl: h.sim.url,
      customerId: CUSTOMER_ID,
      customerSecret: CUSTOMER_SECRET,
    });
    processes.push(w);
    const exit = await w.exited;
    expect(exit.code).toBe(1);
    expect(w.stderr()).toMatch(/Redis unreachable at redis:\/\/:\*\*\*@127\.0\.0\.1/);
    expect(w.stderr()).not.toContain('sup3rs3cret');
    expect(w.stderr()).not.toContain(CUSTOMER_SECRET);
  });

  it('exits 2 naming the setting when the configuration is invalid', async () => {
    h = await createHarness();
    const bad = spawn(h, { WORKER_CONCURRENCY: 'lots' });
    expect((await bad.exited).code).toBe(2);
    expect(bad.stderr()).toMatch(/WORKER_CONCURRENCY/);
    const noSecret = spawnWorker({
      redisUrl: h.redisUrl,
      prefix: h.prefix,
      agoraBaseUrl: h.sim.url,
      customerId: CUSTOMER_ID,
      customerSecret: '',
    });
    processes.push(noSecret);
    expect((await noSecret.exited).code).toBe(2);
    expect(noSecret.stderr()).toMatch(/AGORA_CUSTOMER_SECRET/);
  });
});
