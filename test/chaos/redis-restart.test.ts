import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisUnavailableError, createProducer } from '../../src/producer/index.js';
import { runTakedownCli } from '../support/chaos-cli.js';
import { checkChaosInvariants, describeViolations } from '../support/chaos-invariants.js';
import type { ChaosTarget } from '../support/chaos-invariants.js';
import { CHAOS_APP_ID, createChaosWorld } from '../support/chaos-world.js';
import type { ChaosWorld } from '../support/chaos-world.js';
import { startLocalRedis } from '../support/redis-server.js';
import type { LocalRedis } from '../support/redis-server.js';
import { waitFor } from '../support/wait-for.js';

const TAKEDOWNS = 600;
const ATTEMPTS = 10;
const DOWN_MS = 4000;
/** A producer call while Redis is down must fail within this (a hang would sit here forever). */
const FAIL_FAST_MS = 5000;

async function timed<T>(work: Promise<T>): Promise<{ ms: number; value?: T; error?: unknown }> {
  const started = Date.now();
  try {
    const value = await work;
    return { ms: Date.now() - started, value };
  } catch (error) {
    return { ms: Date.now() - started, error };
  }
}

describe('chaos 2: Redis crashed and restarted in the middle of a batch (AOF on)', () => {
  let redis: LocalRedis;
  let world: ChaosWorld;
  beforeAll(async () => {
    // Its own redis-server: the shared one must stay up for everything else.
    redis = await startLocalRedis();
    world = await createChaosWorld({
      redisUrl: redis.url,
      attempts: ATTEMPTS,
      // ~12 s of deletes for the batch, so the restart lands in the middle of it.
      workerEnv: { AGORA_DELETE_RPS: '100' },
    });
  });
  afterAll(async () => {
    await world?.close();
    await redis?.close();
  });

  it('finishes every takedown after Redis comes back; producers get clear errors meanwhile', async () => {
    const started = Date.now();
    const { requests, targets } = await world.seed(TAKEDOWNS + 2);
    // Two streams are kept back: one is enqueued while Redis is down (and must fail), then again.
    const lateRequests = requests.splice(TAKEDOWNS);
    const lateTargets = targets.splice(TAKEDOWNS);
    await world.enqueueAll(requests, targets);

    const workers = [world.spawnWorker(), world.spawnWorker()];
    await Promise.all(workers.map((w) => w.ready(30_000)));
    await waitFor(async () => (await world.finishedCount()) >= 100, {
      timeoutMs: 60_000,
      intervalMs: 100,
      what: '100 finished takedowns before the restart',
    });

    // ── Redis crashes (SIGKILL). Redis writes the AOF before it answers a client, so an
    //    acknowledged write is in the file even though fsync is only every second; a process
    //    crash (not a machine crash) loses nothing the workers or producers were told. ──
    await redis.stop(true);
    const downAt = Date.now();

    // A producer that was connected: fails fast with a clear error, no hang.
    const lateRequest = lateRequests[0];
    if (lateRequest === undefined) throw new Error('no late request');
    const onConnected = await timed(world.producer.enqueue(lateRequest));
    expect(onConnected.error).toBeInstanceOf(RedisUnavailableError);
    expect((onConnected.error as Error).message).toContain(`Redis unreachable at ${redis.url}`);
    expect(onConnected.ms).toBeLessThan(FAIL_FAST_MS);

    // A producer created while Redis is down: fails fast too.
    const fresh = await timed(
      createProducer({
        redis: redis.url,
        prefix: world.prefix,
        attempts: ATTEMPTS,
        idempotencyWindowS: 3600,
        defaultAppId: CHAOS_APP_ID,
      }),
    );
    expect(fresh.error).toBeInstanceOf(RedisUnavailableError);
    expect(fresh.ms).toBeLessThan(FAIL_FAST_MS);

    // The CLI: exit 1 (operational), a message naming Redis, within a bound.
    const cli = await runTakedownCli(
      ['enqueue', '--region', 'na', '--sid', lateRequest['sid'] ?? 'x', '--json'],
      { REDIS_URL: redis.url, TAKEDOWN_PREFIX: world.prefix, AGORA_APP_ID: CHAOS_APP_ID },
    );
    expect(cli.code, cli.stderr).toBe(1);
    expect(cli.stderr).toMatch(/Redis unreachable at redis:\/\/127\.0\.0\.1/);
    expect(cli.stdout).toBe('');
    expect(cli.ms).toBeLessThan(FAIL_FAST_MS + 3000);

    const waited = DOWN_MS - (Date.now() - downAt);
    if (waited > 0) await new Promise((r) => setTimeout(r, waited));
    // The workers ride it out: they must still be running.
    for (const w of workers) expect(w.child.exitCode, w.stderr().slice(-2000)).toBeNull();

    // ── Redis comes back with its AOF ──
    await redis.restart();
    const upAt = Date.now();

    // The connected producer gets back on its own; the takedown refused above was not half-written.
    const again = await waitFor(
      async () => world.producer.enqueue(lateRequest).catch(() => undefined),
      { timeoutMs: 15_000, intervalMs: 200, what: 'the producer to reconnect' },
    );
    expect(again.status).toBe('enqueued');
    const other = lateRequests[1];
    if (other === undefined) throw new Error('no second late request');
    // enqueueAll fills in the job id of the (shared) target object.
    await world.enqueueAll([other], lateTargets.slice(1));
    const lateFirst = lateTargets[0] as ChaosTarget;
    lateFirst.jobId = again.jobId;
    const all = [...targets, ...lateTargets];

    await world.waitForFinished(all.length, 90_000);
    const doneAt = Date.now();
    for (const w of workers) expect(w.child.exitCode, w.stderr().slice(-2000)).toBeNull();
    await Promise.all(workers.map((w) => w.close()));

    const report = await checkChaosInvariants({
      admin: world.admin,
      queue: world.queue,
      dlq: world.dlq,
      targets: all,
    });
    console.info(
      `[chaos 2] ${all.length} takedowns; Redis down ${upAt - downAt} ms; producer failed in ${onConnected.ms} ms, ` +
        `new producer in ${fresh.ms} ms, CLI exit ${cli.code} in ${cli.ms} ms; all done ${doneAt - upAt} ms after restart ` +
        `(${((doneAt - started) / 1000).toFixed(1)} s total); ${JSON.stringify(report.summary)}`,
    );
    expect(report.violations, describeViolations(report)).toEqual([]);
    expect(report.summary.completed).toBe(all.length);
    expect(await world.dlq.count()).toBe(0);
  });
});
