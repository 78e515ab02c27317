import { Queue } from 'bullmq';
import type { LoggerLike } from '../agora/index.js';
import { createAuditStore } from '../audit/index.js';
import { CALLBACK_QUEUE, createCallbackSender, createCallbackWorker } from '../callbacks/index.js';
import { parseAllowedHost } from '../config/index.js';
import type { AllowedHost, ResolvedConfig } from '../config/index.js';
import type { TakedownMetrics } from '../metrics/index.js';
import { createRedisConnection } from '../redis/index.js';
import { quitRedis } from '../redis/index.js';
import { createTakedownOutcomes } from './takedown-outcomes.js';
import type { TakedownOutcomes } from './takedown-outcomes.js';

export interface StartOutcomesOptions {
  config: ResolvedConfig;
  logger: LoggerLike;
  metrics: Pick<TakedownMetrics, 'recordCallback'>;
  /** Everything opened here is pushed onto it (closed in reverse order by the caller). */
  closers: { what: string; close: () => Promise<void> }[];
}

/**
 * The audit trail and the outcome callbacks of `takedown worker`: one Redis connection for the
 * audit writes and the callback queue, and the callback delivery worker on its own connection,
 * so a slow or failing receiver shares nothing with the takedowns but Redis.
 */
export async function startOutcomes(options: StartOutcomesOptions): Promise<TakedownOutcomes> {
  const { config, logger, metrics, closers } = options;
  const redis = createRedisConnection(config.redis, { role: 'worker' });
  redis.on('error', (err: Error) =>
    logger.warn({ err: err.message }, 'audit/callback connection error'),
  );
  closers.push({ what: 'audit/callback connection', close: () => quitRedis(redis) });
  const queue = new Queue(CALLBACK_QUEUE, { connection: redis, prefix: config.prefix });
  queue.on('error', (err: Error) => logger.warn({ err: err.message }, 'callback queue error'));
  closers.push({ what: 'callback queue', close: () => queue.close() });
  const audit = createAuditStore({
    redis,
    prefix: config.prefix,
    retentionDays: config.audit.retentionDays,
  });

  const { secret } = config.callbacks;
  if (secret === undefined) {
    logger.warn(
      {},
      'CALLBACK_SECRET is not set: takedowns that ask for a callback get none (see takedown callbacks list --failed)',
    );
  }
  const workerRedis = createRedisConnection(config.redis, { role: 'worker' });
  workerRedis.on('error', () => undefined); // reported by the worker's 'error' listener
  closers.push({ what: 'callback worker connection', close: () => quitRedis(workerRedis) });
  const worker = createCallbackWorker({
    connection: workerRedis,
    prefix: config.prefix,
    secret,
    allowedHosts: config.callbacks.allowedHosts
      .map(parseAllowedHost)
      .filter((h): h is AllowedHost => h !== undefined),
    timeoutMs: config.callbacks.timeoutMs,
    retrySchedule: config.callbacks.retrySchedule,
    concurrency: config.callbacks.concurrency,
    logger: logger.child({ component: 'callbacks' }),
    audit,
    onAttempt: (result) => metrics.recordCallback(result),
  });
  const running = worker.run().catch((err: unknown) => {
    logger.error({ err: (err as Error).message }, 'callback worker stopped with an error');
  });
  closers.push({
    what: 'callback worker',
    close: async () => {
      await worker.close();
      await running;
    },
  });
  await worker.waitUntilReady();

  return createTakedownOutcomes({
    audit,
    callbacks: createCallbackSender({ queue, attempts: config.callbacks.retrySchedule.length }),
    logger,
  });
}
