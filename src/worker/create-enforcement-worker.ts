import { Queue, Worker } from 'bullmq';
import type { Job } from 'bullmq';
import type { AgoraApi, LoggerLike } from '../agora/index.js';
import { TAKEDOWN_QUEUE } from '../jobs/index.js';
import type { TakedownJobData, TakedownPayload, TakedownResult } from '../jobs/index.js';
import {
  ENFORCEMENT_QUEUE,
  createEnforcementIndex,
  createEnforcementProcessor,
  onTakedownCompleted,
} from '../notifications/index.js';
import type {
  ConfirmationListener,
  EnforcementMetricsLike,
  EnforcementProducer,
} from '../notifications/index.js';
import { createRedisConnection } from '../redis/index.js';
import type { RedisTarget } from '../redis/index.js';
import { createRuleStore } from '../rules/index.js';
import { quitRedis } from '../redis/index.js';
import { settleWithin } from '../redis/index.js';

export interface EnforcementWorkerOptions {
  redis: RedisTarget;
  prefix: string;
  /** Enqueues takedowns (the producer: validation, idempotency, merges). */
  producer: EnforcementProducer;
  /** Rate-limited Agora API, urgent lane (waits for its slot instead of parking). */
  api: AgoraApi;
  logger: LoggerLike;
  metrics?: EnforcementMetricsLike;
  /** How long the cut/revoked index is kept, seconds (the idempotency window). */
  retentionS: number;
  /** @defaultValue 10 */
  concurrency?: number;
  /** Told when an Agora confirmation is recorded on a takedown (audit trail, callback). */
  onConfirmed?: ConfirmationListener;
}

export interface EnforcementWorker {
  /** For the takedown worker's `onTakedownCompleted` hook: indexes the takedown, records early confirmations. */
  takedownCompleted(jobId: string, data: unknown, result: TakedownResult): void;
  close(): Promise<void>;
}

const CLOSE_TIMEOUT_MS = 3000;

/**
 * The BullMQ Worker on queue `takedown-enforcement` (Agora events and rule sweeps), beside the
 * takedown worker in every worker process. Its connection also serves the rule store and the
 * enforcement index.
 */
export async function createEnforcementWorker(
  options: EnforcementWorkerOptions,
): Promise<EnforcementWorker> {
  const { logger } = options;
  const connection = createRedisConnection(options.redis, { role: 'worker' });
  connection.on('error', () => undefined);
  const takedowns = new Queue<TakedownJobData>(TAKEDOWN_QUEUE, {
    connection,
    prefix: options.prefix,
  });
  takedowns.on('error', (err: Error) =>
    logger.warn({ err: err.message }, 'enforcement queue connection error'),
  );
  const confirmedListener =
    options.onConfirmed === undefined ? {} : { onConfirmed: options.onConfirmed };
  const index = createEnforcementIndex(connection, options.prefix, options.retentionS);
  const processor = createEnforcementProcessor({
    producer: options.producer,
    rules: createRuleStore(connection, options.prefix),
    index,
    takedowns,
    api: options.api,
    logger,
    ...(options.metrics === undefined ? {} : { metrics: options.metrics }),
    ...(options.onConfirmed === undefined ? {} : { onConfirmed: options.onConfirmed }),
  });
  const worker = new Worker(ENFORCEMENT_QUEUE, processor, {
    connection,
    prefix: options.prefix,
    concurrency: options.concurrency ?? 10,
    autorun: false,
  });
  worker.on('error', (err) => logger.error({ err: err.message }, 'enforcement worker error'));
  worker.on('failed', (job: Job | undefined, err: Error) =>
    logger.warn(
      { jobId: job?.id, attempt: job?.attemptsMade, err: err.message },
      'enforcement job failed (retried while attempts remain)',
    ),
  );
  const running = worker.run().catch((err: unknown) => {
    logger.error({ err: (err as Error).message }, 'enforcement worker stopped with an error');
  });
  await worker.waitUntilReady();
  // Index writes of takedowns that completed during shutdown finish before the connection goes.
  const indexing = new Set<Promise<void>>();

  return {
    takedownCompleted(jobId, data, result) {
      const payload = (data as { payload?: TakedownPayload } | undefined)?.payload;
      if (payload === undefined) return;
      const work = onTakedownCompleted(
        { index, takedowns, ...confirmedListener },
        jobId,
        payload,
        result,
      ).catch((err: unknown) =>
        logger.warn(
          { jobId, err: (err as Error).message },
          'could not index a completed takedown for confirmations',
        ),
      );
      indexing.add(work);
      void work.finally(() => indexing.delete(work));
    },
    async close() {
      await settleWithin(worker.close(), CLOSE_TIMEOUT_MS);
      await settleWithin(Promise.allSettled([...indexing]), CLOSE_TIMEOUT_MS);
      await settleWithin(running, CLOSE_TIMEOUT_MS);
      await settleWithin(takedowns.close(), CLOSE_TIMEOUT_MS);
      await quitRedis(connection);
    },
  };
}
