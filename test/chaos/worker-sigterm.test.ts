import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkChaosInvariants, describeViolations } from '../support/chaos-invariants.js';
import { createChaosWorld } from '../support/chaos-world.js';
import type { ChaosWorld } from '../support/chaos-world.js';
import { redisUrl } from '../support/isolation.js';
import type { LogLine, WorkerProcess } from '../support/worker-process.js';

const TAKEDOWNS = 240;
const ATTEMPTS = 10;
const SHORT_DEADLINE_MS = 300;
const CALL_LATENCY_MS = 300;
/** The worker's cancel grace after the deadline (CloseOptions.cancelGraceMs default) plus slack. */
const EXIT_BOUND_MS = SHORT_DEADLINE_MS + 2000 + 3000;

// 'takedown started' is a debug line; resolve's step line is the first a fresh job logs at info.
const isStarted = (l: LogLine): boolean => l.msg === 'step done' && l['step'] === 'resolve';

describe('chaos 6: worker SIGTERM during a batch with a short deadline', () => {
  let world: ChaosWorld;
  beforeAll(async () => {
    world = await createChaosWorld({
      redisUrl: redisUrl(),
      attempts: ATTEMPTS,
      // Every call takes 300 ms: after resolve a job still makes two calls (600 ms) before it
      // parks for verify's settle (parked, it is no longer active), so it is still active when
      // the 300 ms deadline passes. At 150 ms the two calls could end just before the deadline.
      simulator: { latencyMs: CALL_LATENCY_MS },
      workerEnv: {
        WORKER_CONCURRENCY: '10',
        WORKER_LOCK_DURATION_MS: '3000',
        WORKER_STALLED_INTERVAL_MS: '1000',
      },
    });
  });
  afterAll(async () => {
    await world.close();
  });

  it('exits 0 within the deadline and loses nothing; a worker killed by a second signal loses nothing either', async () => {
    const started = Date.now();
    const { requests, targets } = await world.seed(TAKEDOWNS);
    await world.enqueueAll(requests, targets);

    const graceful = world.spawnWorker({ WORKER_SHUTDOWN_TIMEOUT_MS: String(SHORT_DEADLINE_MS) });
    const impatient = world.spawnWorker({ WORKER_SHUTDOWN_TIMEOUT_MS: '30000' });
    const survivor: WorkerProcess = world.spawnWorker();
    await Promise.all([graceful, impatient, survivor].map((w) => w.ready(30_000)));
    await Promise.all(
      [graceful, impatient].map((w) => w.waitForLog(isStarted, 30_000, 'a takedown started')),
    );
    await sleep(500);
    // Signal right after the worker took a fresh job: after resolve it still needs revoke-key and
    // disconnect (2 × CALL_LATENCY_MS) before it parks, so it is still active at the deadline.
    const mark = graceful.logs.length;
    await graceful.waitForLog(
      (l) => isStarted(l) && graceful.logs.indexOf(l) >= mark,
      30_000,
      'a fresh takedown started',
    );
    await sleep(50);

    // ── One SIGTERM, short deadline: stop taking jobs, cancel what is left, exit 0 ──
    const termAt = Date.now();
    graceful.kill('SIGTERM');
    const gracefulExit = await graceful.exited;
    const gracefulMs = Date.now() - termAt;
    expect(gracefulExit, graceful.stderr().slice(-3000)).toEqual({ code: 0, signal: null });
    expect(gracefulMs).toBeLessThan(EXIT_BOUND_MS);

    // ── SIGTERM then a second SIGTERM: exit at once, jobs stay active for the stall check ──
    const impatientMark = impatient.logs.length;
    await impatient.waitForLog(
      (l) => isStarted(l) && impatient.logs.indexOf(l) >= impatientMark,
      30_000,
      'a fresh takedown started',
    );
    impatient.kill('SIGTERM');
    await impatient.waitForLog(
      (l) => typeof l.msg === 'string' && l.msg.startsWith('shutting down'),
      10_000,
      'shutdown start',
    );
    const secondAt = Date.now();
    impatient.kill('SIGTERM');
    const impatientExit = await impatient.exited;
    const impatientMs = Date.now() - secondAt;
    expect(impatientExit.code, impatient.stderr().slice(-3000)).not.toBe(0);
    expect(impatientMs).toBeLessThan(3000);

    await world.waitForFinished(TAKEDOWNS, 120_000);
    const elapsedMs = Date.now() - started;
    expect(survivor.child.exitCode).toBeNull();
    await survivor.close();

    const report = await checkChaosInvariants({
      admin: world.admin,
      queue: world.queue,
      dlq: world.dlq,
      targets,
    });
    const requeued = graceful.logs.filter(
      (l) => l.msg === 'job cancelled by shutdown: requeued',
    ).length;
    const stalled = survivor.logs.filter(
      (l) => typeof l.msg === 'string' && l.msg.startsWith('job stalled'),
    ).length;
    console.info(
      `[chaos 6] ${TAKEDOWNS} takedowns in ${(elapsedMs / 1000).toFixed(1)} s; SIGTERM (deadline ${SHORT_DEADLINE_MS} ms) → ` +
        `exit ${gracefulExit.code} after ${gracefulMs} ms, ${requeued} job(s) requeued; double SIGTERM → exit ` +
        `${impatientExit.code ?? impatientExit.signal} after ${impatientMs} ms, ${stalled} stalled job(s) recovered; ` +
        `${JSON.stringify(report.summary)}`,
    );
    expect(report.violations, describeViolations(report)).toEqual([]);
    // The short deadline really cut jobs off (they went back to the queue, not lost).
    expect(requeued).toBeGreaterThanOrEqual(1);
    // ...and the jobs the impatient worker abandoned came back through the stall check.
    expect(stalled).toBeGreaterThanOrEqual(1);
    expect(report.summary.completed).toBe(TAKEDOWNS);
    expect(await world.dlq.count()).toBe(0);
  });
});
