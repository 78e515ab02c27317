import { Queue } from 'bullmq';
import { createAgoraClient } from '../agora/index.js';
import type { LoggerLike } from '../agora/index.js';
import { ConfigError, redactConfig } from '../config/index.js';
import type { ResolvedConfig } from '../config/index.js';
import { DEAD_LETTER_QUEUE, TAKEDOWN_QUEUE } from '../jobs/index.js';

/** BullMQ's meta hash of the takedown queue: always there, in the queue's slot. */
const queueMetaKey = (prefix: string): string => `${prefix}:${TAKEDOWN_QUEUE}:meta`;
import { createMetrics, createQueueCountsReader } from '../metrics/index.js';
import type { TakedownMetrics } from '../metrics/index.js';
import { createProducer } from '../producer/index.js';
import { createRedisConnection, describeRedis } from '../redis/index.js';
import type { Producer } from '../producer/index.js';
import { createOpsServer, createReadinessCheck } from '../server/index.js';
import type { OpsServer, OpsServerOptions } from '../server/index.js';
import { checkRedis } from './check-redis.js';
import { createEnforcementWorker } from './create-enforcement-worker.js';
import { createTakedownWorker } from './create-takedown-worker.js';
import { withRateLimit } from './rate-limited-api.js';
import type { TakedownWorker } from './create-takedown-worker.js';
import { createMetricsHooks } from './metrics-hooks.js';
import { OpsServerStartError } from './ops-server-start-error.js';
import { quitRedis } from '../redis/index.js';
import { settleWithin } from '../redis/index.js';
import { createRateLimiter } from './rate-limiter.js';
import type { Telemetry } from '../telemetry/index.js';
import { startOutcomes } from './start-outcomes.js';
import { combineHooks } from './worker-hooks.js';

export interface RunWorkerOptions {
  config: ResolvedConfig;
  logger: LoggerLike;
  /** The CLI context: resolves on the next SIGINT/SIGTERM. */
  ctx: { waitForSignal(): Promise<NodeJS.Signals> };
  /** Hard exit on a second signal; injectable for tests. @defaultValue process.exit */
  exit?: (code: number) => never;
  /** Tracing (started by the CLI from OTEL_* variables); off when unset. */
  telemetry?: Telemetry;
}

/** Exit code after a second signal: 128 + the signal number, as shells report it. */
function signalExitCode(signal: NodeJS.Signals): number {
  return signal === 'SIGTERM' ? 143 : 130;
}

function requireCredential(value: string | undefined, key: string, env: string): string {
  if (value === undefined || value === '') {
    throw new ConfigError([{ key, env, message: `${env} (${key}) is required to run the worker` }]);
  }
  return value;
}

/** Longest wait for one resource to close at shutdown. */
const CLOSE_TIMEOUT_MS = 3000;
/** After a shutdown that left something open: exit this long after runWorker returned. */
const FORCE_EXIT_AFTER_MS = 2000;

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Composition root of `takedown worker`: builds the Agora client (feeding the metrics), the
 * shared rate limiter, the ops HTTP server (/healthz, /readyz, /metrics, and the intake and
 * dashboard when configured) and the BullMQ worker; runs until SIGTERM/SIGINT, then shuts down
 * gracefully within `worker.shutdownTimeoutMs` and resolves with the exit code (0 after a clean
 * shutdown). A second signal during the shutdown exits at once; jobs still active are recovered
 * by the stall check.
 * Throws ConfigError (missing credentials), RedisUnavailableError (Redis unreachable at start)
 * or OpsServerStartError (HTTP_HOST:HTTP_PORT not available); nothing is left open then.
 */
export async function runWorker(options: RunWorkerOptions): Promise<number> {
  const { config, logger, telemetry } = options;
  const exit = options.exit ?? ((code: number): never => process.exit(code));
  const customerId = requireCredential(
    config.agora.customerId,
    'agora.customerId',
    'AGORA_CUSTOMER_ID',
  );
  const customerSecret = requireCredential(
    config.agora.customerSecret,
    'agora.customerSecret',
    'AGORA_CUSTOMER_SECRET',
  );

  // Everything opened below, closed in reverse order (on a failed start, and at shutdown).
  const closers: { what: string; close: () => Promise<void> }[] = [];
  const closeOne = async ({ what, close }: (typeof closers)[number]): Promise<boolean> => {
    // Bounded: with Redis unreachable a QUIT or a BullMQ close can wait forever, and nothing
    // is lost by dropping a handle at exit.
    const settled = await settleWithin(
      close().catch((err: unknown) => {
        logger.warn({ err: messageOf(err), what }, 'error while closing');
      }),
      CLOSE_TIMEOUT_MS,
    );
    if (!settled) logger.warn({ what, timeoutMs: CLOSE_TIMEOUT_MS }, 'gave up waiting to close');
    return settled;
  };
  /**
   * Closes everything, in reverse order; false when some resource did not close in time (it may
   * still be open). `together`: all at once, one bound for all (Redis is unreachable, so each
   * would wait out its bound in turn).
   */
  const closeAll = async (together = false): Promise<boolean> => {
    const open = closers.splice(0).reverse();
    if (together) return (await Promise.all(open.map(closeOne))).every(Boolean);
    let allClosed = true;
    for (const closer of open) if (!(await closeOne(closer))) allClosed = false;
    return allClosed;
  };

  const metrics = createMetrics();
  const agora = createAgoraClient({
    baseUrl: config.agora.baseUrl,
    auth: { scheme: config.agora.auth, customerId, customerSecret },
    timeoutMs: config.agora.timeoutMs,
    logger,
    onCall: (info) => metrics.recordCall(info),
    ...(telemetry === undefined ? {} : { traceCall: telemetry.traceCall }),
  });
  // The limiter's own connection: lazy, so nothing connects before the start-up check has run.
  const limiterRedis = createRedisConnection(config.redis, { role: 'worker', lazyConnect: true });
  limiterRedis.on('error', (err: Error) =>
    logger.warn({ err: err.message }, 'rate limiter connection error'),
  );
  const limiter = createRateLimiter({
    redis: limiterRedis,
    prefix: config.prefix,
    limits: {
      create: config.agora.createRps,
      delete: config.agora.deleteRps,
      query: config.agora.queryRps,
    },
    maxHoldMs: config.agora.rateMaxHoldMs,
  });
  closers.push({
    what: 'agora client and rate limiter',
    close: async () => {
      await limiter.close();
      await agora.close();
      await quitRedis(limiterRedis);
    },
  });

  let shuttingDown = false;
  let takedownWorker: TakedownWorker | undefined;
  let ops: OpsServer;
  try {
    await checkRedis({ redis: config.redis, logger });
    const started = await startOps({
      config,
      logger,
      metrics,
      closers,
      isShuttingDown: () => shuttingDown,
      isWorkerRunning: () => takedownWorker?.worker.isRunning() === true,
      telemetry,
    });
    // Audit trail + outcome callbacks; `outcomes.onTakedownConfirmed` records Agora confirmations.
    const outcomes = await startOutcomes({ config, logger, metrics, closers });
    ops = started.server;
    const enforcement = await createEnforcementWorker({
      redis: config.redis,
      prefix: config.prefix,
      producer: started.producer,
      // Enforcement lookups and sweeps act for urgent takedowns: the limiter's urgent lane.
      api: withRateLimit(agora, limiter, {
        urgent: true,
        retryAfterMaxMs: config.agora.retryAfterMaxMs,
      }),
      logger,
      metrics,
      retentionS: config.takedown.idempotencyWindowS,
      onConfirmed: (confirmation) => outcomes.onTakedownConfirmed(confirmation),
    });
    closers.push({ what: 'enforcement worker', close: () => enforcement.close() });
    takedownWorker = await createTakedownWorker({
      redis: config.redis,
      prefix: config.prefix,
      worker: config.worker,
      takedown: config.takedown,
      keyRegions: config.agora.keyRegions,
      agora,
      limiter,
      logger,
      retryAfterMaxMs: config.agora.retryAfterMaxMs,
      hooks: combineHooks(createMetricsHooks(metrics), outcomes.hooks, {
        onTakedownCompleted: (jobId, data, result) =>
          enforcement.takedownCompleted(jobId, data, result),
      }),
      ...(telemetry === undefined ? {} : { telemetry }),
      // Done above, before the ops server took its port.
      checkRedis: false,
    });
  } catch (err) {
    await closeAll();
    throw err;
  }

  const safe = redactConfig(config);
  logger.info(
    {
      redis: describeRedis(safe.redis),
      prefix: safe.prefix,
      agora: {
        baseUrl: safe.agora.baseUrl,
        auth: safe.agora.auth,
        customerId: safe.agora.customerId,
        keyRegions: safe.agora.keyRegions,
        deleteRps: safe.agora.deleteRps,
        queryRps: safe.agora.queryRps,
        createRps: safe.agora.createRps,
        rateMaxHoldMs: safe.agora.rateMaxHoldMs,
        retryAfterMaxMs: safe.agora.retryAfterMaxMs,
      },
      worker: safe.worker,
      takedown: safe.takedown,
      ops: {
        url: ops.url,
        metrics: `${ops.url}/metrics`,
        intake: ops.mounted.intake,
        notifications: ops.mounted.notifications,
        dashboard: ops.mounted.dashboard ? `${ops.url}/dashboard` : false,
      },
    },
    'worker ready',
  );

  const signal = await options.ctx.waitForSignal();
  // First: /readyz answers 503 from now on, so load balancers stop sending intake traffic.
  shuttingDown = true;
  logger.info(
    { signal, deadlineMs: config.worker.shutdownTimeoutMs },
    'shutting down: no new jobs; waiting for active ones (a second signal exits at once)',
  );
  void options.ctx.waitForSignal().then((second) => {
    logger.warn(
      { signal: second },
      'second signal: exiting now; active jobs are left to the stall check',
    );
    exit(signalExitCode(second));
  });

  const result = await takedownWorker.close({ deadlineMs: config.worker.shutdownTimeoutMs });
  // The ops server stays up while jobs finish (scrapes, /readyz 503); then it goes with the rest.
  const allClosed = await closeAll(result.abandoned);
  if (result.abandoned || !allClosed) {
    // With Redis unreachable, BullMQ keeps retrying in the background even after close and
    // would keep the process alive; a clean exit is not coming, so do not wait for one.
    setTimeout(() => exit(result.abandoned ? 1 : 0), FORCE_EXIT_AFTER_MS).unref();
  }
  if (result.abandoned) {
    logger.error(
      {},
      'shutdown incomplete: the worker did not close cleanly; any job still active will be recovered by the stall check',
    );
    return 1;
  }
  logger.info({ timedOut: result.timedOut }, 'worker stopped');
  return 0;
}

interface StartOpsOptions {
  config: ResolvedConfig;
  logger: LoggerLike;
  metrics: TakedownMetrics;
  closers: { what: string; close: () => Promise<void> }[];
  isShuttingDown: () => boolean;
  isWorkerRunning: () => boolean;
  telemetry: Telemetry | undefined;
}

/**
 * The ops server and what it needs: a Redis connection of its own (readiness PING, queue counts,
 * dashboard) that fails fast while Redis is away instead of queueing commands, Queue handles for
 * both queues, and a producer when the intake or the dashboard (redrive) is on. Each resource is
 * pushed onto `closers` as soon as it exists, so a failure halfway leaves nothing open.
 */
async function startOps(o: StartOpsOptions): Promise<{ server: OpsServer; producer: Producer }> {
  const { config, logger, metrics, closers } = o;
  const opsRedis = createRedisConnection(config.redis, { role: 'producer' });
  let redisDown = false;
  opsRedis.on('error', (err: Error) => {
    // Once per outage: the worker's own connections report it too.
    if (!redisDown) logger.warn({ err: err.message }, 'ops Redis connection error');
    redisDown = true;
  });
  opsRedis.on('ready', () => {
    if (redisDown) logger.info({}, 'ops Redis connection is back');
    redisDown = false;
  });
  closers.push({
    what: 'ops Redis connection',
    close: () => quitRedis(opsRedis),
  });

  const queue = new Queue(TAKEDOWN_QUEUE, { connection: opsRedis, prefix: config.prefix });
  const dlq = new Queue(DEAD_LETTER_QUEUE, { connection: opsRedis, prefix: config.prefix });
  for (const q of [queue, dlq]) {
    q.on('error', (err: Error) =>
      logger.debug({ queue: q.name, err: err.message }, 'ops queue error'),
    );
  }
  closers.push({
    what: 'ops queue handles',
    close: async () => {
      await Promise.allSettled([queue.close(), dlq.close()]);
    },
  });
  metrics.collectQueueCounts(createQueueCountsReader({ queue, dlq }));

  const tokens = config.intake.tokens.filter((t) => t !== '');
  const { user, password } = config.dashboard;
  const dashboardOn =
    user !== undefined && user !== '' && password !== undefined && password !== '';
  // Always: the enforcement worker enqueues its takedowns through it, beside intake and dashboard.
  const producer = await createProducer({
    redis: config.redis,
    prefix: config.prefix,
    logger,
    defaultAppId: config.agora.appId,
    callbackAllowedHosts: config.callbacks.allowedHosts,
    attempts: config.takedown.attempts,
    idempotencyWindowS: config.takedown.idempotencyWindowS,
    ...(o.telemetry === undefined ? {} : { telemetry: o.telemetry.bullmq }),
    // checkRedis ran at start, on the same Redis.
    checkEviction: false,
  });
  closers.push({ what: 'producer', close: () => producer.close() });

  const serverOptions: OpsServerOptions = {
    host: config.http.host,
    port: config.http.port,
    logger,
    metrics,
    ...(o.telemetry === undefined ? {} : { traceRequest: o.telemetry.traceRequest }),
    isReady: createReadinessCheck({
      // A key read, not a PING: on a Cluster it reaches the master that holds the queue's slot,
      // where a PING would reach any node.
      redis: { ping: () => opsRedis.exists(queueMetaKey(config.prefix)) },
      worker: { isRunning: o.isWorkerRunning },
      isShuttingDown: o.isShuttingDown,
    }),
  };
  if (tokens.length > 0) {
    serverOptions.intake = {
      tokens,
      maxBatch: config.intake.maxBatch,
      bodyLimitBytes: config.intake.bodyLimitBytes,
      producer,
      rules: producer,
    };
  }
  const ncsSecret = config.ncs.secret ?? '';
  if (ncsSecret !== '') {
    serverOptions.notifications = {
      secret: ncsSecret,
      bodyLimitBytes: config.ncs.bodyLimitBytes,
      defaultAppId: config.agora.appId,
      sink: producer,
      onResult: (event, result) => metrics.recordNotification(event, result),
    };
  }
  if (dashboardOn) {
    const redriveWith = producer;
    serverOptions.dashboard = {
      user,
      password,
      queue,
      dlq,
      // Exactly what `takedown dlq redrive ID…` runs.
      redrive: (ids) => redriveWith.redrive(ids),
    };
  }

  let server: OpsServer;
  try {
    server = await createOpsServer(serverOptions);
  } catch (err) {
    const code = ((err as { cause?: { code?: unknown } }).cause ?? {}).code;
    const hint =
      code === 'EADDRINUSE'
        ? ' Another process is listening there: stop it, or set HTTP_PORT to a free port.'
        : '';
    throw new OpsServerStartError(`cannot start the worker: ${messageOf(err)}.${hint}`, {
      cause: err,
    });
  }
  closers.push({ what: 'ops server', close: () => server.close() });
  return { server, producer };
}
