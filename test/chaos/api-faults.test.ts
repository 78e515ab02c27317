import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { checkChaosInvariants, describeViolations } from '../support/chaos-invariants.js';
import { createChaosWorld } from '../support/chaos-world.js';
import type { ChaosWorld } from '../support/chaos-world.js';
import { redisUrl } from '../support/isolation.js';
import { waitFor } from '../support/wait-for.js';

let world: ChaosWorld | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

describe('chaos 3: the API answers 30% 5xx and 5% timeouts', () => {
  const TAKEDOWNS = 300;
  // Worst step (key-only resolve: two calls that must both pass, 42 %) needs 30 attempts for a
  // dead-letter chance below 1e-7 per takedown; each failed call costs one attempt.
  const ATTEMPTS = 30;
  const ERROR_RATE = 0.3;
  // The simulator draws timeouts only for requests the error fault spared: 0.05 / 0.7 of those
  // makes 5 % of all requests.
  const TIMEOUT_RATE = 0.05 / (1 - ERROR_RATE);
  const STATUSES = [500, 502, 503, 504];

  it('completes every takedown, DLQ empty, in order, within its attempts', async () => {
    world = await createChaosWorld({
      redisUrl: redisUrl(),
      attempts: ATTEMPTS,
      workerEnv: {
        AGORA_TIMEOUT_MS: '500',
        TAKEDOWN_BACKOFF_MS: '20',
        TAKEDOWN_BACKOFF_MAX_MS: '250',
      },
    });
    const w = world;
    const started = Date.now();
    const { requests, targets } = await w.seed(TAKEDOWNS);
    await w.admin.setFaults({ errorRate: ERROR_RATE, errorStatus: 503, timeoutRate: TIMEOUT_RATE });
    await w.enqueueAll(requests, targets);
    const workers = [w.spawnWorker(), w.spawnWorker()];
    await Promise.all(workers.map((p) => p.ready(30_000)));

    // Rotate the 5xx status so every flavour is seen: 500, 502, 503, 504.
    let rotating = true;
    const rotation = (async () => {
      for (let i = 1; rotating; i++) {
        await sleep(300);
        if (!rotating) break;
        await w.admin.setFaults({ errorStatus: STATUSES[i % STATUSES.length] ?? 503 });
      }
    })();
    try {
      await w.waitForFinished(TAKEDOWNS, 150_000);
    } finally {
      rotating = false;
      await rotation;
    }
    const elapsedMs = Date.now() - started;
    await w.admin.setFaults({ errorRate: null, timeoutRate: null });
    await Promise.all(workers.map((p) => p.close()));

    const report = await checkChaosInvariants({
      admin: w.admin,
      queue: w.queue,
      dlq: w.dlq,
      targets,
    });
    const { byStatus, calls } = report.summary;
    const errors = STATUSES.reduce((n, s) => n + (byStatus[String(s)] ?? 0), 0);
    const held = byStatus['0'] ?? 0;
    console.info(
      `[chaos 3] ${TAKEDOWNS} takedowns in ${(elapsedMs / 1000).toFixed(1)} s; ${calls} calls, ` +
        `${errors} 5xx (${((100 * errors) / calls).toFixed(1)} %), ${held} timeouts ` +
        `(${((100 * held) / calls).toFixed(1)} %); ${JSON.stringify(report.summary)}`,
    );
    expect(report.violations, describeViolations(report)).toEqual([]);
    expect(report.summary.completed).toBe(TAKEDOWNS);
    expect(await w.dlq.count()).toBe(0);
    // The faults really were there, at about the rates asked for.
    expect(errors / calls).toBeGreaterThan(0.2);
    expect(held / calls).toBeGreaterThan(0.02);
    for (const s of STATUSES) expect(byStatus[String(s)] ?? 0).toBeGreaterThan(0);
  });
});

describe('chaos 4: an API outage of 20 s', () => {
  const TAKEDOWNS = 300;
  const OUTAGE_MS = 20_000;
  // Retry budget: 40 attempts with delays uniform in [0, min(4 s, 250 ms·2^n)] add up to ~70 s on
  // average (sd ~7 s): far more than the outage, so no takedown runs out of attempts.
  const ATTEMPTS = 40;

  it('completes every takedown after the outage ends, DLQ empty', async () => {
    world = await createChaosWorld({
      redisUrl: redisUrl(),
      attempts: ATTEMPTS,
      workerEnv: {
        // ~10 s of deletes for the whole batch, so the outage hits it in the middle.
        AGORA_DELETE_RPS: '60',
        TAKEDOWN_BACKOFF_MS: '250',
        TAKEDOWN_BACKOFF_MAX_MS: '4000',
      },
    });
    const w = world;
    const started = Date.now();
    const { requests, targets } = await w.seed(TAKEDOWNS);
    await w.enqueueAll(requests, targets);
    const workers = [w.spawnWorker(), w.spawnWorker()];
    await Promise.all(workers.map((p) => p.ready(30_000)));
    await waitFor(async () => (await w.finishedCount()) >= 50, {
      timeoutMs: 60_000,
      intervalMs: 100,
      what: '50 finished takedowns before the outage',
    });

    await w.admin.setFaults({ outageMs: OUTAGE_MS });
    const outageStart = Date.now();
    const outageEnd = outageStart + OUTAGE_MS;
    // Anything in flight when the outage began may still finish; after that, nothing can.
    await sleep(1500);
    const duringA = await w.finishedCount();
    await sleep(outageEnd - Date.now() - 1000);
    const duringB = await w.finishedCount();
    expect(duringB, 'a takedown completed while the API was down').toBe(duringA);
    expect(duringA).toBeLessThan(TAKEDOWNS);

    await w.waitForFinished(TAKEDOWNS, 60_000);
    const doneAt = Date.now();
    await Promise.all(workers.map((p) => p.close()));

    const report = await checkChaosInvariants({
      admin: w.admin,
      queue: w.queue,
      dlq: w.dlq,
      targets,
    });
    const outage503 = report.summary.byStatus['503'] ?? 0;
    console.info(
      `[chaos 4] ${TAKEDOWNS} takedowns; ${duringA} done when the ${OUTAGE_MS / 1000} s outage began, ` +
        `the rest ${((doneAt - outageEnd) / 1000).toFixed(1)} s after it ended ` +
        `(${((doneAt - started) / 1000).toFixed(1)} s total); ${outage503} calls answered 503; ` +
        `${JSON.stringify(report.summary)}`,
    );
    expect(report.violations, describeViolations(report)).toEqual([]);
    expect(report.summary.completed).toBe(TAKEDOWNS);
    expect(await w.dlq.count()).toBe(0);
    expect(outage503).toBeGreaterThan(0);
  });
});
