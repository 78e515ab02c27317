import { Redis } from 'ioredis';
import { createAgoraClient } from '../agora/index.js';
import type { LoggerLike } from '../agora/index.js';
import { ConfigError, redactConfig } from '../config/index.js';
import type { ResolvedConfig } from '../config/index.js';
import { createTakedownWorker } from './create-takedown-worker.js';
import { createRateLimiter } from './rate-limiter.js';

export interface RunWorkerOptions {
  config: ResolvedConfig;
  logger: LoggerLike;
  /** The CLI context: resolves on the next SIGINT/SIGTERM. */
  ctx: { waitForSignal(): Promise<NodeJS.Signals> };
  /** Hard exit on a second signal; injectable for tests. @defaultValue process.exit */
  exit?: (code: number) => never;
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

/**
 * Composition root of `takedown worker`: builds the Agora client, the shared rate limiter and the
 * BullMQ worker; runs until SIGTERM/SIGINT, then shuts down gracefully within
 * `worker.shutdownTimeoutMs` and resolves with the exit code (0 after a clean shutdown). A second
 * signal during the shutdown exits at once; jobs still active are recovered by the stall check.
 * Throws ConfigError (missing credentials) or RedisUnavailableError (Redis unreachable at start).
 */
export async function runWorker(options: RunWorkerOptions): Promise<number> {
  const { config, logger } = options;
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

  const agora = createAgoraClient({
    baseUrl: config.agora.baseUrl,
    auth: { scheme: config.agora.auth, customerId, customerSecret },
    timeoutMs: config.agora.timeoutMs,
    logger,
  });
  // The limiter's own connection: lazy, so nothing connects before the start-up check has run.
  const limiterRedis = new Redis(config.redis.url, {
    maxRetriesPerRequest: null,
    lazyConnect: true,
  });
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
  });
  const releaseShared = async (): Promise<void> => {
    await limiter.close();
    await agora.close();
    if (limiterRedis.status === 'wait') limiterRedis.disconnect();
    else await limiterRedis.quit().catch(() => limiterRedis.disconnect());
  };

  let takedownWorker;
  try {
    takedownWorker = await createTakedownWorker({
      redisUrl: config.redis.url,
      prefix: config.prefix,
      worker: config.worker,
      takedown: config.takedown,
      keyRegions: config.agora.keyRegions,
      agora,
      limiter,
      logger,
    });
  } catch (err) {
    await releaseShared();
    throw err;
  }

  // ── Stage 4: start the ops HTTP server (src/server: /healthz, /readyz, /metrics, dashboard)
  //    here, with takedownWorker.worker and metrics hooks; stop it in the shutdown below. ──

  const safe = redactConfig(config);
  logger.info(
    {
      redis: safe.redis.url,
      prefix: safe.prefix,
      agora: {
        baseUrl: safe.agora.baseUrl,
        auth: safe.agora.auth,
        customerId: safe.agora.customerId,
        keyRegions: safe.agora.keyRegions,
        deleteRps: safe.agora.deleteRps,
        queryRps: safe.agora.queryRps,
        createRps: safe.agora.createRps,
      },
      worker: safe.worker,
      takedown: safe.takedown,
    },
    'worker ready',
  );

  const signal = await options.ctx.waitForSignal();
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

  // ── Stage 4: stop the ops HTTP server here (readiness goes false first). ──
  const result = await takedownWorker.close({ deadlineMs: config.worker.shutdownTimeoutMs });
  await releaseShared();
  if (result.abandoned) {
    logger.error(
      {},
      'shutdown incomplete: some jobs stayed active and will be recovered by the stall check',
    );
    return 1;
  }
  logger.info({ timedOut: result.timedOut }, 'worker stopped');
  return 0;
}
