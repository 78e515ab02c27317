import type { LoggerLike } from '../agora/index.js';
import { redactRedisUrl } from '../config/index.js';
import {
  checkEvictionPolicy,
  connectRedis,
  describeRedis,
  dropRedis,
  toRedisSettings,
} from '../redis/index.js';
import type { RedisClient, RedisTarget } from '../redis/index.js';

/** Redis could not be reached (or refused us) at start: an operational failure, exit 1. */
export class RedisUnavailableError extends Error {
  override readonly name = 'RedisUnavailableError';
  readonly retryable = true;
}

export interface CheckRedisOptions {
  /** A URL, or the settings of any mode (single server, Cluster, Sentinel). */
  redis: RedisTarget;
  logger: LoggerLike;
  /** @defaultValue 5000 */
  timeoutMs?: number;
}

/**
 * Start-up check on a throw-away connection that fails fast (the worker's own connections retry
 * forever by design): Redis answers (else RedisUnavailableError), and it does not evict keys
 * (checkEvictionPolicy: EvictionPolicyError unless REDIS_ALLOW_EVICTION; a warning where CONFIG
 * is disabled, as on many managed Redis).
 */
export async function checkRedis(
  options: CheckRedisOptions,
): Promise<{ maxmemoryPolicy: string | undefined }> {
  const { logger } = options;
  const timeoutMs = options.timeoutMs ?? 5000;
  const where = describeRedis(options.redis);
  let probe: RedisClient | undefined;
  try {
    try {
      // Says why it failed (the failing Cluster node's reason, what to set for a TLS mistake).
      probe = await connectRedis(options.redis, { role: 'probe', connectTimeoutMs: timeoutMs });
      await probe.ping();
    } catch (err) {
      const reason = (err as Error).message;
      throw new RedisUnavailableError(`Redis unreachable at ${where}: ${redactRedisUrl(reason)}`, {
        cause: err,
      });
    }
    const maxmemoryPolicy = await checkEvictionPolicy(probe, {
      allowEviction: toRedisSettings(options.redis).allowEviction === true,
      where,
      logger,
    });
    return { maxmemoryPolicy };
  } finally {
    if (probe !== undefined) dropRedis(probe);
  }
}
