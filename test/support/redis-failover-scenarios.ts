import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'vitest';
import { runTakedownCli } from './chaos-cli.js';
import type { CliRun } from './chaos-cli.js';
import { checkChaosInvariants, describeViolations } from './chaos-invariants.js';
import { CHAOS_APP_ID, createChaosWorld } from './chaos-world.js';
import type { ChaosWorkerEnv, ChaosWorld } from './chaos-world.js';
import { redisUrl } from './isolation.js';
import type { RedisNode } from './redis-topology.js';
import type { RedisSettings } from '../../src/config/index.js';
import { waitFor } from './wait-for.js';
import type { WorkerProcess } from './worker-process.js';

/**
 * The failover scenarios shared by the Redis Cluster and Sentinel chaos files: the same
 * takedowns, workers, CLI and checks, only the topology and how it fails over differ.
 */

export interface Topology {
  settings: RedisSettings;
  /** Env of a takedown process (REDIS_CLUSTER_NODES, or REDIS_SENTINELS + name). */
  env: Record<string, string>;
  /** Cluster: the prefix needs a hash tag. */
  hashTag: boolean;
}

export async function createFailoverWorld(
  topology: Topology,
  workerEnv: ChaosWorkerEnv = {},
): Promise<ChaosWorld> {
  return createChaosWorld({
    // Not used: every handle and worker goes to the topology.
    redisUrl: redisUrl(),
    redis: { settings: topology.settings, env: topology.env, hashTag: topology.hashTag },
    attempts: 10,
    workerEnv,
  });
}

/** `takedown …` with the world's prefix and `redisEnv` (which wins), nothing else from the test's env. */
export function cli(
  world: ChaosWorld,
  redisEnv: Record<string, string>,
  args: readonly string[],
  timeoutMs = 60_000,
): Promise<CliRun> {
  return runTakedownCli(
    args,
    {
      TAKEDOWN_PREFIX: world.prefix,
      AGORA_APP_ID: CHAOS_APP_ID,
      TAKEDOWN_ATTEMPTS: '10',
      LOG_LEVEL: 'warn',
      ...redisEnv,
    },
    timeoutMs,
  );
}

/** `enqueue` arguments for one of `world.seed`'s requests. */
export function enqueueArgs(request: Record<string, string>): string[] {
  const args = ['enqueue', '--region', request['region'] ?? 'na', '--json'];
  if (request['sid'] !== undefined) args.push('--sid', request['sid']);
  if (request['streamKey'] !== undefined) args.push('--key', request['streamKey']);
  if (request['channel'] !== undefined) args.push('--channel', request['channel']);
  return args;
}

/** The ops server URL a worker process logged when it became ready. */
export function opsUrlOf(worker: WorkerProcess): string {
  const line = worker.logs.find((l) => l.msg === 'worker ready');
  const url = (line?.['ops'] as { url?: string } | undefined)?.url;
  if (url === undefined) throw new Error('the worker did not log its ops URL');
  return url;
}

export async function readyzStatus(opsUrl: string): Promise<number> {
  try {
    const res = await fetch(`${opsUrl}/readyz`, { signal: AbortSignal.timeout(5000) });
    await res.body?.cancel();
    return res.status;
  } catch {
    return 0;
  }
}

/**
 * `count` takedowns enqueued by the CLI and taken down by a worker, both connected only through
 * `redisEnv` (a non-owner Cluster node, TLS settings…); then the invariants hold and `stats`
 * through `redisEnv` counts them as completed. Returns everything the CLI and the worker
 * printed (for secret checks).
 */
export async function takedownsThrough(
  world: ChaosWorld,
  redisEnv: Record<string, string>,
  count = 3,
): Promise<{ printed: string }> {
  let printed = '';
  const { requests, targets } = await world.seed(count);
  for (const [i, request] of requests.entries()) {
    const run = await cli(world, redisEnv, enqueueArgs(request));
    printed += run.stdout + run.stderr;
    expect(run.code, run.stderr).toBe(0);
    (targets[i] as { jobId: string }).jobId = (JSON.parse(run.stdout) as { jobId: string }).jobId;
  }
  const worker = world.spawnWorker(redisEnv);
  await worker.ready(90_000);
  await world.waitForFinished(count, 60_000);
  const report = await checkChaosInvariants({
    admin: world.admin,
    queue: world.queue,
    dlq: world.dlq,
    targets,
  });
  expect(report.violations, describeViolations(report)).toEqual([]);
  expect(report.summary.completed).toBe(count);

  const stats = await cli(world, redisEnv, ['stats', '--json']);
  printed += stats.stdout + stats.stderr + worker.stdout() + worker.stderr();
  expect(stats.code, stats.stderr).toBe(0);
  const counts = (JSON.parse(stats.stdout) as { queues: Record<string, Record<string, number>> })
    .queues['takedown'];
  expect(counts?.['completed']).toBe(count);
  await worker.close();
  return { printed };
}

/**
 * 500 takedowns drained by two worker processes; `failover` runs once 100 are finished (so it
 * lands mid-batch). Then: all done, none lost, none out of order, DLQ empty.
 */
export async function takedownsSurviveFailover(
  world: ChaosWorld,
  label: string,
  failover: () => Promise<{ from: RedisNode; to: RedisNode }>,
  options: { asyncReplicationLoss?: boolean } = {},
): Promise<void> {
  const TAKEDOWNS = 500;
  const started = Date.now();
  const { requests, targets } = await world.seed(TAKEDOWNS);
  await world.enqueueAll(requests, targets);
  const workers = [world.spawnWorker(), world.spawnWorker()];
  await Promise.all(workers.map((w) => w.ready(90_000)));

  await waitFor(async () => (await world.finishedCount()) >= 100, {
    timeoutMs: 120_000,
    intervalMs: 100,
    what: '100 finished takedowns before the failover',
  });
  const finishedBefore = await world.finishedCount();
  const { from, to } = await failover();
  const finishedAtFailover = await world.finishedCount();
  expect(to.port).not.toBe(from.port);

  await world.waitForFinished(TAKEDOWNS, 180_000);
  await sleep(500); // let a last DLQ write (if any, wrongly) land before checking
  const report = await checkChaosInvariants({
    admin: world.admin,
    queue: world.queue,
    dlq: world.dlq,
    targets,
  });
  console.info(
    `[${label}] ${TAKEDOWNS} takedowns, master ${from.address} → ${to.address} after ` +
      `${finishedBefore} (done ${finishedAtFailover} when it finished), ` +
      `${((Date.now() - started) / 1000).toFixed(1)} s; ${JSON.stringify(report.summary)}`,
  );
  expect(finishedBefore).toBeLessThan(TAKEDOWNS);
  // Sentinel replication is asynchronous and a failover is not coordinated with the clients:
  // what the old master accepted after the replica's last sync is gone (Redis documents this).
  // A takedown whose step cursor and attempt counter were among those writes repeats an
  // idempotent call within the same counted attempt. Completion, order and the DLQ still hold.
  // A repeated read (GET) changes nothing on Agora's side.
  const repeats =
    options.asyncReplicationLoss === true
      ? [/in \d+ started attempt\(s\)$/, /^call #\d+ GET \S+: not attributable to any takedown$/]
      : [];
  const violations = report.violations.filter((v) => !repeats.some((r) => r.test(v)));
  if (violations.length < report.violations.length) {
    console.info(
      `[${label}] ${report.violations.length - violations.length} repeated idempotent calls after writes lost in the failover`,
    );
  }
  expect(violations, describeViolations(report)).toEqual([]);
  expect(report.summary.completed).toBe(TAKEDOWNS);
  expect(await world.dlq.count()).toBe(0);
  // The workers lived through it: no restart was needed.
  for (const w of workers) expect(w.child.exitCode).toBeNull();
  await Promise.all(workers.map((w) => w.close()));
}

/**
 * While no master holds the queue (`cut` freezes it and its replica), /readyz answers 503 and a
 * producer (the CLI) fails fast with exit 1; after `heal` promotes the replica, /readyz is 200
 * again and the same enqueue succeeds.
 */
export async function readinessAndProducerAcrossOutage(
  world: ChaosWorld,
  redisEnv: Record<string, string>,
  cut: () => Promise<void>,
  heal: () => Promise<void>,
): Promise<void> {
  const { requests } = await world.seed(1);
  const worker = world.spawnWorker();
  await worker.ready(90_000);
  const ops = opsUrlOf(worker);
  expect(await readyzStatus(ops)).toBe(200);

  await cut();
  try {
    await waitFor(async () => (await readyzStatus(ops)) === 503, {
      timeoutMs: 15_000,
      intervalMs: 200,
      what: '/readyz 503 while no master holds the queue',
    });
    const during = await cli(world, redisEnv, enqueueArgs(requests[0] as Record<string, string>));
    expect(during.code, during.stderr).toBe(1);
    expect(during.stderr).toMatch(/Redis unreachable/);
    // Fails fast, not a hang until the failover (the CLI is killed at 60 s): its own bounds are
    // the connect (≤ 4 s on a Cluster), the eviction check (≤ 2 s), the command timeout (5 s) and
    // the exit grace (≤ 3 s), plus a Node start on a loaded CI box.
    expect(during.ms).toBeLessThan(30_000);
    expect(await readyzStatus(ops)).toBe(503);
  } finally {
    await heal();
  }

  await waitFor(async () => (await readyzStatus(ops)) === 200, {
    timeoutMs: 60_000,
    intervalMs: 250,
    what: '/readyz 200 once a master is back',
  });
  const after = await cli(world, redisEnv, enqueueArgs(requests[0] as Record<string, string>));
  expect(after.code, after.stderr).toBe(0);
  const { status, jobId } = JSON.parse(after.stdout) as { status: string; jobId: string };
  expect(status).toBe('enqueued');
  expect(await world.queue.getJob(jobId)).toBeDefined();
  await worker.close();
}
