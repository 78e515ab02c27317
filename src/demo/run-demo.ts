import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { createAgoraClient } from '../agora/index.js';
import type { LoggerLike } from '../agora/index.js';
import { redactRedisUrl } from '../config/index.js';
import { createProducer } from '../producer/index.js';
import { createRedisConnection, toRedisSettings } from '../redis/index.js';
import type { RedisTarget } from '../redis/index.js';
import { createSimulator, createSimulatorAdmin } from '../simulator/index.js';
import { createMetrics } from '../metrics/index.js';
import { createOpsServer } from '../server/index.js';
import {
  createEnforcementWorker,
  createRateLimiter,
  createTakedownWorker,
  withRateLimit,
} from '../worker/index.js';
import { createCleanupStack } from './cleanup-stack.js';
import type { CleanupFailure } from './cleanup-stack.js';
import { allFinished, initialDemoState } from './demo-state.js';
import { findRedis as defaultFindRedis } from './find-redis.js';
import type { FindRedisOptions } from './find-redis.js';
import { createLiveView } from './live-view.js';
import { removePrefixKeys } from './remove-prefix-keys.js';
import {
  DEMO_APP_ID,
  batchRequests,
  dlqRequest,
  expiryRequest,
  offlineRequest,
  setUpScenario,
  takenDownKeys,
  urgentRequest,
} from './scenario.js';
import { buildSummary, formatSummary } from './summary.js';
import type { DemoSummary } from './summary.js';
import type { DemoRedis } from './throwaway-redis.js';
import { trackJobs } from './track-jobs.js';

/** The knobs of the demo; small numbers so that it runs in seconds, real rate limits. */
export const DEMO_SETTINGS = {
  batchSize: 200,
  reconnectingInBatch: 150,
  /** Encoders come back this fast after a cut (while their key is valid). */
  reconnectDelayMs: 300,
  /** Verify waits longer than a reconnect takes, so it would see one. */
  verifyDelayMs: 400,
  /** The urgent takedown is enqueued once this many batch takedowns are done. */
  urgentAfterBatchDone: 30,
  expiryInMs: 6000,
  concurrency: 25,
  attempts: 5,
  /** Agora's published per-App-ID limits; the simulator enforces them too. */
  limits: { create: 50, delete: 50, query: 100 },
  /** Every takedown must have finished by then (from the start of the demo). */
  deadlineMs: 45_000,
} as const;

export interface RunDemoOptions {
  /** `REDIS_URL` when the user set one. */
  redisUrl?: string | undefined;
  out: NodeJS.WritableStream;
  isTTY: boolean;
  /** Aborting stops the demo (Ctrl-C); it still cleans up everything it started. */
  signal?: AbortSignal;
  /**
   * Registers a synchronous last resort for process exit (kills a throw-away redis-server);
   * returns a function that unregisters it.
   */
  onExit?: (fn: () => void) => () => void;
  /** Replaces the Redis lookup (tests). */
  findRedis?: (options: FindRedisOptions) => Promise<DemoRedis>;
  /** `REDIS_ALLOW_EVICTION`: run on a Redis whose maxmemory-policy evicts keys (with a warning). */
  allowEviction?: boolean;
}

export interface DemoReport {
  /** Every promise of the summary held (still live 0, DLQ 1, ...). */
  ok: boolean;
  interrupted: boolean;
  durationMs: number;
  /** The Redis key prefix the demo used (and removed). */
  prefix: string | undefined;
  summary: DemoSummary | undefined;
  cleanupFailures: CleanupFailure[];
}

const silentLogger: LoggerLike = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  child: () => silentLogger,
};

const REDIS_SOURCE_TEXT: Record<DemoRedis['source'], string> = {
  REDIS_URL: 'from REDIS_URL',
  local: 'the local one on port 6379',
  throwaway: 'a throw-away redis-server started for the demo',
};

function isAbort(err: unknown, signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true || (err instanceof Error && err.name === 'AbortError');
}

/** Polls until `done()` holds; false when the deadline passed first. Rejects when aborted. */
async function waitFor(
  done: () => boolean,
  deadline: number,
  signal: AbortSignal | undefined,
): Promise<boolean> {
  while (!done()) {
    if (Date.now() > deadline) return false;
    await sleep(25, undefined, signal === undefined ? {} : { signal });
  }
  return true;
}

function short(id: string): string {
  return id.length > 14 ? `${id.slice(0, 12)}…` : id;
}

/** The user the demo's enforcement rule bans. */
const RULE_UID = '4242';
const RULE_CUT_DEADLINE_MS = 10_000;

/**
 * Adds a uid rule ("this user may not stream for 24 h"), then the user starts a push with a new
 * key: the simulator's signed `live_stream_connected` reaches the intake, the rule matches, and
 * an urgent takedown cuts it. Resolves with how long the push lived.
 */
async function enforceRule(o: {
  producer: Awaited<ReturnType<typeof createProducer>>;
  admin: ReturnType<typeof createSimulatorAdmin>;
  agora: ReturnType<typeof createAgoraClient>;
  view: ReturnType<typeof createLiveView>;
  signal: AbortSignal | undefined;
}): Promise<{ ruleId: string; cut: boolean; cutAfterMs: number }> {
  const added = await o.producer.addRule({
    uid: RULE_UID,
    durationS: 24 * 3600,
    reason: 'demo: banned from streaming for 24 h',
  });
  o.view.event(`rule ${added.rule.id}: uid ${RULE_UID} may not stream for 24 h`);
  const { key } = await o.agora.createStreamKey({
    region: 'na',
    appId: DEMO_APP_ID,
    channel: 'demo-after-rule',
    uid: RULE_UID,
    expiresAfter: 0,
  });
  const started = Date.now();
  const sid = await o.admin.startEncoder({
    appId: DEMO_APP_ID,
    region: 'na',
    streamKey: key.streamKey,
  });
  o.view.event(`uid ${RULE_UID} starts a push with a new key: sid ${short(sid)}`);
  const cut = await waitForAsync(
    async () =>
      !(await o.admin.streams({ appId: DEMO_APP_ID, streamKey: key.streamKey })).some(
        (s) => s.sid === sid,
      ),
    started + RULE_CUT_DEADLINE_MS,
    o.signal,
  );
  const cutAfterMs = Date.now() - started;
  o.view.event(
    cut
      ? `sid ${short(sid)} cut ${cutAfterMs} ms after it started (Agora event → rule → urgent takedown)`
      : `sid ${short(sid)} still live after ${RULE_CUT_DEADLINE_MS} ms`,
  );
  return { ruleId: added.rule.id, cut, cutAfterMs };
}

async function waitForAsync(
  done: () => Promise<boolean>,
  deadline: number,
  signal: AbortSignal | undefined,
): Promise<boolean> {
  while (!(await done())) {
    if (Date.now() > deadline) return false;
    await sleep(20, undefined, signal === undefined ? {} : { signal });
  }
  return true;
}

/**
 * `takedown demo`: the whole product on one machine in about 20 s. A simulator of Agora Media
 * Gateway in-process, Redis found or started, a worker, and the use cases — a batch sweep, an
 * urgent takedown that overtakes it, a scheduled expiry, a stream already offline, a permanent
 * failure that lands in the DLQ — then a summary, and everything it started is stopped and its
 * Redis keys removed (also when aborted).
 * Throws RedisNotFoundError (no Redis to be had) or the producer's RedisUnavailableError
 * (REDIS_URL does not answer) before anything is under way.
 */
export async function runDemo(options: RunDemoOptions): Promise<DemoReport> {
  const { out, isTTY, signal } = options;
  const S = DEMO_SETTINGS;
  const startedAt = Date.now();
  const state = initialDemoState(startedAt, S.batchSize);
  const view = createLiveView({ out, isTTY, state });
  const cleanup = createCleanupStack();
  const report: DemoReport = {
    ok: false,
    interrupted: false,
    durationMs: 0,
    prefix: undefined,
    summary: undefined,
    cleanupFailures: [],
  };
  const tidied: string[] = [];
  let failure: Error | undefined;

  try {
    view.event(
      `takedown demo: 5 use cases, ${S.batchSize + 4} streams, on a local Agora Media Gateway simulator (no account needed)`,
    );
    const redis = await (options.findRedis ?? defaultFindRedis)({ redisUrl: options.redisUrl });
    const unregisterExit = options.onExit?.(() => redis.killNow());
    cleanup.push('Redis', async () => {
      await redis.close();
      unregisterExit?.();
      if (redis.source === 'throwaway') tidied.push('the throw-away redis-server and its temp dir');
    });
    const prefix = `takedown-demo-${randomBytes(4).toString('hex')}`;
    report.prefix = prefix;
    view.event(
      `Redis: ${redactRedisUrl(redis.url)} (${REDIS_SOURCE_TEXT[redis.source]}), key prefix ${prefix}`,
    );

    // Random per run: nothing to leak, nothing a newcomer has to set.
    const customer = {
      customerId: 'demo-customer',
      customerSecret: randomBytes(16).toString('hex'),
    };
    const sim = await createSimulator({
      ...customer,
      reconnectDelayMs: S.reconnectDelayMs,
      createRps: S.limits.create,
      deleteRps: S.limits.delete,
      queryRps: S.limits.query,
    });
    cleanup.push('simulator', async () => {
      await sim.close();
      tidied.push('the simulator');
    });
    const admin = createSimulatorAdmin(sim.url);

    // The producer refuses a Redis that evicts keys (EvictionPolicyError), as every command does.
    const target: RedisTarget = {
      ...toRedisSettings(redis.url),
      allowEviction: options.allowEviction === true,
    };
    const producer = await createProducer({
      redis: target,
      prefix,
      attempts: S.attempts,
      idempotencyWindowS: 3600,
      defaultAppId: DEMO_APP_ID,
    });
    cleanup.push('Redis keys', async () => {
      const removed = await removePrefixKeys(redis.url, prefix);
      tidied.push(`its ${removed} Redis keys`);
    });
    cleanup.push('producer', async () => {
      await producer.close();
      tidied.push('the producer');
    });

    const agora = createAgoraClient({
      baseUrl: sim.url,
      auth: { scheme: 'basic', ...customer },
      timeoutMs: 5000,
    });
    const limiterRedis = createRedisConnection(redis.url, { role: 'worker' });
    limiterRedis.on('error', () => undefined);
    const limiter = createRateLimiter({ redis: limiterRedis, prefix, limits: S.limits });
    cleanup.push('rate limiter', async () => {
      await limiter.close();
      await agora.close();
      await limiterRedis.quit().catch(() => limiterRedis.disconnect());
    });

    // The simulator's view of the streams, for the live view and the summary.
    const readStats = async (): Promise<void> => {
      const s = await admin.stats();
      state.sim = {
        liveStreams: s.liveStreams,
        reconnects: s.reconnects,
        refusedReconnects: s.refusedReconnects,
        calls: s.calls,
        tooManyRequests: s.byStatus['429'] ?? 0,
      };
    };
    let polling = false;
    const poll = (): void => {
      if (polling) return;
      polling = true;
      readStats()
        .catch(() => undefined)
        .finally(() => (polling = false));
    };
    const poller = setInterval(poll, 250);
    cleanup.push('stats poller', () => Promise.resolve(clearInterval(poller)));

    state.phase = 'seeding the simulator';
    const cast = await setUpScenario({
      admin,
      agora,
      batchSize: S.batchSize,
      reconnectingInBatch: S.reconnectingInBatch,
      reconnectDelayMs: S.reconnectDelayMs,
      ...(signal === undefined ? {} : { signal }),
    });
    await readStats();
    view.event(
      `simulator ${sim.url}: ${state.sim.liveStreams} live streams; ${cast.reconnecting} encoders ` +
        `reconnect ${S.reconnectDelayMs} ms after a cut while their key is valid`,
    );
    view.event(
      cast.naive.newSid === undefined
        ? `why the order matters: cut sid ${short(cast.naive.cutSid)} without revoking its key (it did not come back in time)`
        : `why the order matters: cut sid ${short(cast.naive.cutSid)} without revoking its key → ` +
            `the encoder was back as sid ${short(cast.naive.newSid)} after ${cast.naive.backAfterMs} ms`,
    );

    // Closed loop: the simulator posts signed Agora notifications to a local intake, and an
    // enforcement worker acts on them (rules, confirmations), as `takedown worker` does.
    const enforcement = await createEnforcementWorker({
      redis: redis.url,
      prefix,
      producer,
      api: withRateLimit(agora, limiter, { urgent: true }),
      logger: silentLogger,
      retentionS: 3600,
    });
    cleanup.push('enforcement worker', async () => {
      await enforcement.close();
      tidied.push('the enforcement worker');
    });
    const ncsSecret = randomBytes(16).toString('hex');
    const intake = await createOpsServer({
      host: '127.0.0.1',
      port: 0,
      logger: silentLogger,
      metrics: createMetrics({ defaultMetrics: false }),
      isReady: () => Promise.resolve({ ready: true }),
      notifications: {
        secret: ncsSecret,
        bodyLimitBytes: 65_536,
        defaultAppId: DEMO_APP_ID,
        sink: producer,
      },
    });
    cleanup.push('notifications intake', async () => {
      await intake.close();
      tidied.push('the notifications intake');
    });
    await admin.setNotifications({
      url: `${intake.url}/v1/agora/notifications`,
      secret: ncsSecret,
    });

    const worker = await createTakedownWorker({
      redis: target,
      prefix,
      worker: {
        concurrency: S.concurrency,
        lockDurationMs: 30_000,
        stalledIntervalMs: 30_000,
        maxStalledCount: 1,
      },
      takedown: {
        backoffMs: 100,
        backoffMaxMs: 1000,
        verify: true,
        verifyDelayMs: S.verifyDelayMs,
        verifyRounds: 3,
        maxRateLimited: 50,
        reconcileIntervalMs: 2000,
      },
      keyRegions: [],
      agora,
      limiter,
      logger: silentLogger,
      hooks: {
        onTakedownCompleted: (jobId, data, result) =>
          enforcement.takedownCompleted(jobId, data, result),
      },
    });
    cleanup.push(
      'worker',
      async () => {
        await worker.close({ deadlineMs: 3000 });
        tidied.push('the worker');
      },
      8000,
    );
    trackJobs(worker.worker, state, cast, view);
    view.event(
      `worker: concurrency ${S.concurrency}, revoke key → disconnect → verify after ${S.verifyDelayMs} ms; ` +
        `${S.limits.delete} deletes/s and ${S.limits.query} queries/s per App ID (Agora's limits)`,
    );
    view.start();

    state.phase = 'enqueuing';
    const dueAt = new Date(Date.now() + S.expiryInMs);
    const scheduled = await producer.scheduleExpiry(expiryRequest(cast), dueAt);
    if (state.expiry.status === 'waiting') {
      Object.assign(state.expiry, { status: 'scheduled', enqueuedAt: Date.now() });
    }
    state.expiry.dueAt = dueAt.getTime();
    view.event(
      `scheduled expiry of key ${short(cast.expiry.streamKey)} at ${dueAt.toISOString().slice(11, 19)} UTC ` +
        `(${scheduled.status}, in ${S.expiryInMs / 1000} s)`,
    );

    const batch = await producer.enqueueMany(batchRequests(cast));
    state.batch.enqueued = batch.counts.enqueued;
    view.event(
      `batch ${batch.batchId}: ${batch.counts.enqueued} takedowns enqueued at priority bulk`,
    );

    const offline = await producer.enqueue(offlineRequest(cast));
    if (state.offline.status === 'waiting') {
      Object.assign(state.offline, { status: 'queued', enqueuedAt: Date.now() });
    }
    view.event(
      `takedown of sid ${short(cast.offline.sid)}, whose session already ended: ${offline.status}`,
    );
    const dead = await producer.enqueue(dlqRequest(cast));
    if (state.dlq.status === 'waiting')
      Object.assign(state.dlq, { status: 'queued', enqueuedAt: Date.now() });
    view.event(
      `takedown of key ${short(cast.dlq.streamKey)}, which Agora refuses with 403: ${dead.status}`,
    );

    state.phase = 'batch draining';
    const deadline = startedAt + S.deadlineMs;
    const problems: string[] = [];
    if (await waitFor(() => state.batch.done >= S.urgentAfterBatchDone, deadline, signal)) {
      state.urgent.batchDoneAtEnqueue = state.batch.done;
      await producer.enqueue(urgentRequest(cast));
      if (state.urgent.status === 'waiting') {
        Object.assign(state.urgent, { status: 'queued', enqueuedAt: Date.now() });
      }
      view.event(
        `urgent takedown of key ${short(cast.urgent.streamKey)} (moderation decision) enqueued — ` +
          `batch at ${state.urgent.batchDoneAtEnqueue}/${state.batch.total}`,
      );
    }
    if (!(await waitFor(() => allFinished(state), deadline, signal))) {
      problems.push(`not every takedown finished within ${S.deadlineMs / 1000} s`);
    }

    state.phase = 'enforcement rule';
    const rule = await enforceRule({ producer, admin, agora, view, signal });
    if (!rule.cut)
      problems.push(`the push after the rule was not cut within ${RULE_CUT_DEADLINE_MS} ms`);

    state.phase = 'checking what is still live';
    // Long enough for any encoder whose key survived to have reconnected.
    await sleep(S.reconnectDelayMs + 200, undefined, signal === undefined ? {} : { signal });
    const keys = takenDownKeys(cast);
    const wanted = new Set(keys);
    const live = await admin.streams({ appId: DEMO_APP_ID });
    const stillLiveKeys = [...new Set(live.map((s) => s.streamKey).filter((k) => wanted.has(k)))];
    const deadLetters = await producer.listDead();
    await readStats();
    state.phase = 'done';
    view.stop();

    const summary = buildSummary({
      state,
      stillLiveKeys,
      checkedKeys: keys.length,
      deadLetters,
      expectedDeadJobId: dead.jobId,
      durationMs: Date.now() - startedAt,
      limits: { deleteRps: S.limits.delete, queryRps: S.limits.query },
    });
    summary.problems.unshift(...problems);
    report.summary = summary;
    report.ok = summary.problems.length === 0;
    for (const line of formatSummary(summary, Date.now() - startedAt)) out.write(`${line}\n`);
    out.write(
      `\nenforcement: rule ${rule.ruleId} (uid ${RULE_UID}); a push by that user that started after ` +
        `the rule was ${rule.cut ? `cut ${rule.cutAfterMs} ms after it started` : 'NOT cut'}\n`,
    );
    const confirmed = (await admin.notifications()).stats.delivered;
    out.write(`Agora notifications delivered to the intake (signed, deduplicated): ${confirmed}\n`);
    out.write(
      `\nThe stream in the DLQ is still live on purpose: its takedown failed for good, so an operator ` +
        `decides (takedown dlq show / redrive).\n`,
    );
  } catch (err) {
    if (isAbort(err, signal)) report.interrupted = true;
    else failure = err instanceof Error ? err : new Error(String(err));
  } finally {
    view.stop();
    if (report.interrupted) out.write('\ninterrupted: cleaning up…\n');
    report.cleanupFailures = await cleanup.run();
    report.durationMs = Date.now() - startedAt;
  }
  if (tidied.length > 0) out.write(`cleaned up: ${tidied.join(', ')}\n`);
  for (const f of report.cleanupFailures) out.write(`could not clean up ${f.name}: ${f.message}\n`);
  if (failure !== undefined) throw failure;
  if (!report.interrupted) {
    out.write(
      `demo ${report.ok ? 'finished' : 'FAILED'} in ${(report.durationMs / 1000).toFixed(1)} s\n`,
    );
  }
  return report;
}
