import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkChaosInvariants, describeViolations } from '../support/chaos-invariants.js';
import { createChaosWorld } from '../support/chaos-world.js';
import type { ChaosWorld } from '../support/chaos-world.js';
import { redisUrl } from '../support/isolation.js';
import type { WorkerProcess } from '../support/worker-process.js';

const TAKEDOWNS = 2000;
const WORKERS = 3;
const KILL_EVERY_MS = 2000;
const ATTEMPTS = 10;

describe('chaos 1: a random worker process SIGKILLed every 2 s', () => {
  let world: ChaosWorld;
  beforeAll(async () => {
    world = await createChaosWorld({
      redisUrl: redisUrl(),
      attempts: ATTEMPTS,
      workerEnv: {
        // Bounds the pace on a fast machine too (4,000 deletes ≥ 13 s), so the kills land mid-batch.
        AGORA_DELETE_RPS: '300',
        // A killed worker's jobs come back after the lock expires and a stall check sees it.
        WORKER_LOCK_DURATION_MS: '3000',
        WORKER_STALLED_INTERVAL_MS: '1000',
        // A job caught by several kills in a row is stalled each time; give it room (the
        // default 2 would dead-letter a job that was merely unlucky three times).
        WORKER_MAX_STALLED_COUNT: '8',
      },
    });
  });
  afterAll(async () => {
    await world.close();
  });

  it('completes all 2,000 takedowns with an empty DLQ, in order, without extra calls', async () => {
    const started = Date.now();
    const { requests, targets } = await world.seed(TAKEDOWNS);
    await world.enqueueAll(requests, targets);

    const live: WorkerProcess[] = [];
    for (let i = 0; i < WORKERS; i++) live.push(world.spawnWorker());
    await Promise.all(live.map((w) => w.ready(30_000)));

    let kills = 0;
    const killedWithWork: number[] = [];
    let finished = await world.finishedCount();
    const deadline = Date.now() + 180_000;
    while (finished < TAKEDOWNS && Date.now() < deadline) {
      await sleep(KILL_EVERY_MS);
      const index = Math.floor(Math.random() * live.length);
      const victim = live[index];
      if (victim === undefined) continue;
      // Did it take jobs? (a kill of a worker still starting proves little, but happens too)
      if (victim.logs.some((l) => l.msg === 'step done')) killedWithWork.push(kills);
      victim.kill('SIGKILL');
      await victim.exited;
      kills += 1;
      live[index] = world.spawnWorker();
      finished = await world.finishedCount();
    }
    await world.waitForFinished(TAKEDOWNS, 60_000);
    const elapsedMs = Date.now() - started;
    await Promise.all(live.map((w) => w.close()));

    const report = await checkChaosInvariants({
      admin: world.admin,
      queue: world.queue,
      dlq: world.dlq,
      targets,
    });
    console.info(
      `[chaos 1] ${TAKEDOWNS} takedowns, ${kills} SIGKILLs (${killedWithWork.length} of busy workers), ` +
        `${(elapsedMs / 1000).toFixed(1)} s; ${JSON.stringify(report.summary)}`,
    );
    expect(report.violations, describeViolations(report)).toEqual([]);
    expect(report.summary.completed).toBe(TAKEDOWNS);
    expect(await world.dlq.count()).toBe(0);
    // The scenario must actually have killed workers in the middle of their work.
    expect(kills).toBeGreaterThanOrEqual(2);
    expect(killedWithWork.length).toBeGreaterThanOrEqual(1);
    expect(report.summary.maxAttemptsStarted).toBeGreaterThan(1);
  });
});
