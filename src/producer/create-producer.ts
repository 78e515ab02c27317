import { parseAllowedHost } from '../config/index.js';
import type { AllowedHost } from '../config/index.js';
import { Queue } from 'bullmq';
import type { Telemetry as QueueTelemetry } from 'bullmq';
import {
  checkEvictionPolicy,
  connectRedis,
  describeRedis,
  dropRedis,
  quitRedis,
  settleWithin,
  toRedisSettings,
} from '../redis/index.js';
import type { RedisClient, RedisTarget } from '../redis/index.js';
import { DEAD_LETTER_QUEUE, TAKEDOWN_QUEUE } from '../jobs/index.js';
import type { DeadLetterEntry, TakedownJobData } from '../jobs/index.js';
import { listDead, purge, redrive, showDead } from './dead-letters.js';
import type { ListDeadOptions, PurgeResult, RedriveResult } from './dead-letters.js';
import { ENFORCEMENT_QUEUE } from '../notifications/enforcement-queue.js';
import type { EnforcementJobData } from '../notifications/enforcement-queue.js';
import type { StreamEvent } from '../notifications/agora-notification.js';
import type { RuleView } from '../rules/index.js';
import { acceptNotification, addRule, listRules, removeRule } from './enforcement.js';
import type { AddRuleResult } from './enforcement.js';
import { enqueue } from './enqueue.js';
import type { EnqueueOptions, EnqueueResult } from './enqueue.js';
import { enqueueMany } from './enqueue-many.js';
import type { EnqueueManyOptions, EnqueueManyResult } from './enqueue-many.js';
import { RedisUnavailableError, isConnectionError } from './errors.js';
import { redactRedisUrl } from './redis-connection.js';
import { cancelExpiry, listExpiries, scheduleExpiry } from './expiry.js';
import type {
  CancelExpiryResult,
  ExpiryRef,
  ScheduleExpiryResult,
  ScheduledExpiry,
} from './expiry.js';
import { defineOwnershipCommand } from './ownership.js';
import type { ProducerContext } from './producer-context.js';
import { silentLogger } from './producer-logger.js';
import type { ProducerLogger } from './producer-logger.js';
import { stats } from './stats.js';
import type { ProducerStats } from './stats.js';
import { getStatus } from './status.js';
import type { BatchStatus, JobStatus, StatusQuery } from './status.js';

/** Longest a close waits for Redis before dropping the connection (nothing is lost at exit). */
const CLOSE_TIMEOUT_MS = 2000;

export interface ProducerOptions {
  /** A redis:// or rediss:// URL (password allowed, never printed), or the settings of any mode. */
  redis: RedisTarget;
  /** BullMQ key prefix (`{takedown}` on Redis Cluster). */
  prefix: string;
  logger?: ProducerLogger;
  /** App ID for requests that name none (AGORA_APP_ID). */
  defaultAppId?: string | undefined;
  /** BullMQ attempts per takedown (TAKEDOWN_ATTEMPTS). */
  attempts: number;
  /** Retention of completed takedowns, seconds (TAKEDOWN_IDEMPOTENCY_WINDOW_S). */
  idempotencyWindowS: number;
  /** @defaultValue 2000 */
  connectTimeoutMs?: number;
  /**
   * BullMQ's telemetry hook (src/telemetry's `bullmq`): a span per add, and the active trace
   * carried in the job to the worker. Unset when tracing is off.
   */
  telemetry?: QueueTelemetry;
  /** `CALLBACK_ALLOWED_HOSTS`: hosts a request's callbackUrl may name besides loopback. @defaultValue [] */
  callbackAllowedHosts?: readonly string[];
  /**
   * Refuse a Redis that evicts keys (EvictionPolicyError; `redis.allowEviction` overrides it with
   * a warning). Off only where the caller has just checked the same Redis (the worker).
   * @defaultValue true
   */
  checkEviction?: boolean;
}

export interface Producer {
  enqueue(request: unknown, options?: EnqueueOptions): Promise<EnqueueResult>;
  enqueueMany(
    requests: readonly unknown[],
    options?: EnqueueManyOptions,
  ): Promise<EnqueueManyResult>;
  scheduleExpiry(request: unknown, at: Date): Promise<ScheduleExpiryResult>;
  cancelExpiry(ref: ExpiryRef): Promise<CancelExpiryResult>;
  listExpiries(): Promise<ScheduledExpiry[]>;
  getStatus(query: StatusQuery): Promise<JobStatus | BatchStatus | null>;
  listDead(options?: ListDeadOptions): Promise<DeadLetterEntry[]>;
  showDead(jobId: string): Promise<DeadLetterEntry | null>;
  redrive(ids: readonly string[] | 'all'): Promise<RedriveResult[]>;
  purge(ids: readonly string[] | 'all'): Promise<PurgeResult[]>;
  stats(): Promise<ProducerStats>;
  /** Validates and stores an enforcement rule, and enqueues the sweep of what is live now. */
  addRule(request: unknown): Promise<AddRuleResult>;
  listRules(): Promise<RuleView[]>;
  /** False when no rule has this id. */
  removeRule(id: string): Promise<boolean>;
  /** Queues a validated Agora event for the enforcement worker, once per noticeId. */
  acceptNotification(event: StreamEvent): Promise<'accepted' | 'duplicate'>;
  /** Closes the queues and the Redis connection this producer opened. Idempotent. */
  close(): Promise<void>;
}

export const DEFAULT_CONNECT_TIMEOUT_MS = 2000;

function allowedHosts(entries: readonly string[]): AllowedHost[] {
  return entries.map((entry) => {
    const host = parseAllowedHost(entry);
    if (host === undefined) {
      throw new RangeError(
        `callbackAllowedHosts: ${JSON.stringify(entry.slice(0, 60))} is not a host name pattern`,
      );
    }
    return host;
  });
}

function checkOptions(options: ProducerOptions): void {
  if (!Number.isInteger(options.attempts) || options.attempts < 1) {
    throw new RangeError(`attempts must be a positive integer; got ${options.attempts}`);
  }
  if (!Number.isInteger(options.idempotencyWindowS) || options.idempotencyWindowS < 1) {
    throw new RangeError(
      `idempotencyWindowS must be a positive integer; got ${options.idempotencyWindowS}`,
    );
  }
  if (options.prefix === '' || options.prefix.includes(' ')) {
    throw new RangeError(
      `prefix must be a non-empty string without spaces; got "${options.prefix}"`,
    );
  }
}

/**
 * Connects to Redis (failing fast with RedisUnavailableError when it is not there, and with
 * EvictionPolicyError when its maxmemory-policy evicts keys) and returns
 * the producer API: enqueue one or many, scheduled expiry, status, DLQ admin, stats.
 * One Redis connection serves both queues; `close()` releases it.
 */
export async function createProducer(options: ProducerOptions): Promise<Producer> {
  checkOptions(options);
  const logger = options.logger ?? silentLogger;
  const safeUrl = describeRedis(options.redis);
  let client: RedisClient;
  try {
    // Fails fast: no offline queue, one retry per command.
    client = await connectRedis(options.redis, {
      role: 'producer',
      connectTimeoutMs: options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
    });
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new RedisUnavailableError(safeUrl, redactRedisUrl(reason), { cause: err });
  }
  if (options.checkEviction !== false) {
    try {
      await checkEvictionPolicy(client, {
        allowEviction: toRedisSettings(options.redis).allowEviction === true,
        where: safeUrl,
        logger,
      });
    } catch (err) {
      dropRedis(client);
      throw err;
    }
  }
  // Later errors surface through the failing calls; log them, but not once per reconnect attempt.
  let lastLogged = 0;
  client.on('error', (err: Error) => {
    const now = Date.now();
    if (now - lastLogged < 10_000) return;
    lastLogged = now;
    logger.warn({ redis: safeUrl, err: err.message }, 'producer Redis connection error');
  });
  defineOwnershipCommand(client);

  // A caller-owned client is shared, not closed, by the queues (bullmq create-backend).
  const queueOptions = {
    connection: client,
    prefix: options.prefix,
    ...(options.telemetry === undefined ? {} : { telemetry: options.telemetry }),
  };
  const queue = new Queue<TakedownJobData>(TAKEDOWN_QUEUE, queueOptions);
  const dlq = new Queue<DeadLetterEntry>(DEAD_LETTER_QUEUE, queueOptions);
  const enforcement = new Queue<EnforcementJobData>(ENFORCEMENT_QUEUE, queueOptions);
  for (const q of [queue, dlq, enforcement]) {
    q.on('error', (err: Error) => logger.warn({ queue: q.name, err: err.message }, 'queue error'));
  }
  try {
    await Promise.all([queue.waitUntilReady(), dlq.waitUntilReady(), enforcement.waitUntilReady()]);
  } catch (err) {
    // Redis did not answer: nothing to flush, so the connection is dropped at once.
    void Promise.allSettled([queue.close(), dlq.close(), enforcement.close()]);
    dropRedis(client);
    throw new RedisUnavailableError(safeUrl, err instanceof Error ? err.message : String(err), {
      cause: err,
    });
  }

  const defaultAppId = options.defaultAppId === '' ? undefined : options.defaultAppId;
  const ctx: ProducerContext = {
    client,
    queue,
    dlq,
    enforcement,
    prefix: options.prefix,
    attempts: options.attempts,
    idempotencyWindowS: options.idempotencyWindowS,
    defaultAppId,
    parseOptions: {
      defaultAppId,
      callbackAllowedHosts: allowedHosts(options.callbackAllowedHosts ?? []),
    },
    logger,
  };

  let closing: Promise<void> | undefined;
  // Set when a call failed because Redis did not answer: close then drops the connection.
  let unreachable = false;
  const guard = async <T>(op: () => Promise<T>): Promise<T> => {
    if (closing !== undefined) throw new Error('the producer is closed');
    try {
      return await op();
    } catch (err) {
      if (!(err instanceof RedisUnavailableError) && !isConnectionError(err)) throw err;
      unreachable = true;
      if (err instanceof RedisUnavailableError) throw err;
      throw new RedisUnavailableError(safeUrl, (err as Error).message, { cause: err });
    }
  };

  return {
    enqueue: (request, opts) => guard(() => enqueue(ctx, request, opts)),
    enqueueMany: (requests, opts) => guard(() => enqueueMany(ctx, requests, opts)),
    scheduleExpiry: (request, at) => guard(() => scheduleExpiry(ctx, request, at)),
    cancelExpiry: (ref) => guard(() => cancelExpiry(ctx, ref)),
    listExpiries: () => guard(() => listExpiries(ctx)),
    getStatus: (query) => guard(() => getStatus(ctx, query)),
    listDead: (opts) => guard(() => listDead(ctx, opts)),
    showDead: (jobId) => guard(() => showDead(ctx, jobId)),
    redrive: (ids) => guard(() => redrive(ctx, ids)),
    purge: (ids) => guard(() => purge(ctx, ids)),
    stats: () => guard(() => stats(ctx)),
    addRule: (request) => guard(() => addRule(ctx, request)),
    listRules: () => guard(() => listRules(ctx)),
    removeRule: (id) => guard(() => removeRule(ctx, id)),
    acceptNotification: (event) => guard(() => acceptNotification(ctx, event)),
    close: () => {
      closing ??= (async () => {
        const closed = Promise.allSettled([queue.close(), dlq.close(), enforcement.close()]);
        if (unreachable) {
          // Redis just failed a call: nothing to flush, and a QUIT would only wait for it.
          dropRedis(client);
          await settleWithin(closed, CLOSE_TIMEOUT_MS);
          return;
        }
        // Bounded: with the queue's master frozen (a Cluster or Sentinel failover) a BullMQ close
        // or a QUIT can wait forever, and the CLI must still exit.
        await settleWithin(closed, CLOSE_TIMEOUT_MS);
        await quitRedis(client, CLOSE_TIMEOUT_MS);
      })();
      return closing;
    },
  };
}
