import type { LoggerLike } from '../agora/index.js';
import { redactRedisUrl } from '../config/index.js';
import { createRedisConnection, describeRedis, keyHolders } from '../redis/index.js';
import type { RedisTarget } from '../redis/index.js';

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
 * forever by design): Redis answers, and `maxmemory-policy` is `noeviction` — any other policy
 * lets Redis evict job keys, i.e. lose takedowns. CONFIG is often disabled on managed Redis; then
 * we say that it could not be checked.
 */
export async function checkRedis(
  options: CheckRedisOptions,
): Promise<{ maxmemoryPolicy: string | undefined }> {
  const { logger } = options;
  const timeoutMs = options.timeoutMs ?? 5000;
  const where = describeRedis(options.redis);
  const probe = createRedisConnection(options.redis, {
    role: 'probe',
    lazyConnect: true,
    connectTimeoutMs: timeoutMs,
  });
  // connect() only rejects with "Connection is closed."; the 'error' event says why.
  let lastError: Error | undefined;
  probe.on('error', (err: Error) => {
    lastError = err;
  });
  try {
    try {
      await probe.connect();
      await probe.ping();
    } catch (err) {
      const reason = (lastError ?? (err as Error)).message;
      throw new RedisUnavailableError(`Redis unreachable at ${where}: ${redactRedisUrl(reason)}`, {
        cause: err,
      });
    }
    let maxmemoryPolicy: string | undefined;
    try {
      // Every master of a Cluster: one that evicts loses the takedowns of its slots.
      for (const node of keyHolders(probe)) {
        const reply = await node.call('CONFIG', 'GET', 'maxmemory-policy');
        const policy = Array.isArray(reply) && typeof reply[1] === 'string' ? reply[1] : undefined;
        if (policy === undefined) continue;
        if (maxmemoryPolicy === undefined || maxmemoryPolicy === 'noeviction') {
          maxmemoryPolicy = policy;
        }
      }
    } catch (err) {
      logger.warn(
        { err: (err as Error).message },
        'could not check Redis maxmemory-policy (CONFIG GET refused); make sure it is noeviction, or jobs can be evicted',
      );
      return { maxmemoryPolicy: undefined };
    }
    if (maxmemoryPolicy === undefined) {
      logger.warn(
        {},
        'could not read Redis maxmemory-policy; make sure it is noeviction, or jobs can be evicted',
      );
    } else if (maxmemoryPolicy !== 'noeviction') {
      logger.warn(
        { maxmemoryPolicy },
        'Redis maxmemory-policy is not noeviction: Redis may evict job keys under memory pressure and lose takedowns',
      );
    }
    return { maxmemoryPolicy };
  } finally {
    probe.disconnect();
  }
}
