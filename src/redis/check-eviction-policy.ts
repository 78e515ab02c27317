import type { Redis } from 'ioredis';
import type { RedisClient } from './create-redis-connection.js';
import { keyHolders } from './scan-keys.js';

/** How long one node may take to tell its policy before it counts as unknown. */
const CHECK_TIMEOUT_MS = 2000;

/** `work`, or a rejection once CHECK_TIMEOUT_MS have passed (the timer keeps nothing alive). */
async function withinMs<T>(work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`no answer within ${CHECK_TIMEOUT_MS} ms`)),
      CHECK_TIMEOUT_MS,
    );
    timer.unref();
  });
  try {
    return await Promise.race([work, expired]);
  } finally {
    clearTimeout(timer);
  }
}

/** A server's policy, and whether CONFIG told it (or INFO, CONFIG being unavailable). */
interface NodePolicy {
  policy: string | undefined;
  fromConfig: boolean;
}

/**
 * One server's policy: CONFIG GET, or where CONFIG is disabled, renamed or not granted (managed
 * Redis: ElastiCache, MemoryDB, Azure…), the `maxmemory_policy` line of INFO memory. Undefined
 * when neither says; rejects when the server refuses both or does not answer.
 */
async function policyOf(node: Redis): Promise<NodePolicy> {
  try {
    const reply = await node.call('CONFIG', 'GET', 'maxmemory-policy');
    if (Array.isArray(reply) && typeof reply[1] === 'string') {
      return { policy: reply[1], fromConfig: true };
    }
  } catch (err) {
    // Only a refusal falls back to INFO; a connection that does not answer fails the check.
    if ((err as Error).name !== 'ReplyError') throw err;
  }
  const info = await node.info('memory');
  return { policy: /^maxmemory_policy:(\S+)/m.exec(info)?.[1], fromConfig: false };
}

/** The only policy under which Redis never drops a key to make room. */
export const NO_EVICTION = 'noeviction';

/**
 * Redis reports a `maxmemory-policy` that evicts keys: under memory pressure it may delete a
 * queued takedown's job hash while its id is still queued, and that takedown is lost without a
 * DLQ entry. A setting to change, not a passing state: retrying does not help.
 */
export class EvictionPolicyError extends Error {
  override readonly name = 'EvictionPolicyError';
  readonly retryable = false;
  readonly policy: string;

  constructor(policy: string, where: string) {
    super(
      `Redis at ${where} has maxmemory-policy ${policy}: under memory pressure it may evict a ` +
        `queued takedown and lose it without a DLQ entry. Fix: run ` +
        `\`CONFIG SET maxmemory-policy ${NO_EVICTION}\` (on every master of a Cluster) and set ` +
        `\`maxmemory-policy ${NO_EVICTION}\` in redis.conf (or your provider's parameter group) so ` +
        `it survives a restart; or set REDIS_ALLOW_EVICTION=true to run anyway`,
    );
    this.policy = policy;
  }
}

export interface CheckEvictionPolicyOptions {
  /** `REDIS_ALLOW_EVICTION`: run on an evicting Redis, with a warning. */
  allowEviction: boolean;
  /** Where the client is connected, safe to print (describeRedis). */
  where: string;
  logger: { warn(obj: object, msg?: string): void };
}

/**
 * The start-up rule of every process that touches the queue (the worker and each CLI command):
 * Redis must not evict keys. Reads `maxmemory-policy` on every server that holds keys (each master
 * of a Cluster: one that evicts loses the takedowns of its slots) and throws EvictionPolicyError
 * when one is not `noeviction`, unless `allowEviction` (then it warns). Managed Redis often
 * disables or renames CONFIG: there it warns and goes on (issue "safety rails": managed Redis
 * is warned, not refused), naming the policy INFO reports, and says nothing when that is
 * `noeviction`. Where neither answers, the policy cannot be known, and it warns and goes on.
 * Resolves with the policy found (the first evicting one), or undefined when it could not be read.
 */
export async function checkEvictionPolicy(
  client: RedisClient,
  options: CheckEvictionPolicyOptions,
): Promise<string | undefined> {
  const { logger, where } = options;
  let policy: string | undefined;
  let fromConfig = true;
  try {
    // Every node at once, each bounded: a master that does not answer (frozen in a failover)
    // must not hold the start for a command timeout; the command itself reports it unreachable.
    const found = await Promise.all(keyHolders(client).map((node) => withinMs(policyOf(node))));
    for (const node of found) {
      if (node.policy !== undefined && (policy === undefined || policy === NO_EVICTION)) {
        policy = node.policy;
        fromConfig = node.fromConfig;
      }
    }
  } catch (err) {
    if (!options.allowEviction) {
      logger.warn(
        { redis: where, err: (err as Error).message },
        `could not check Redis maxmemory-policy (CONFIG GET and INFO refused or not answered); make sure it is ${NO_EVICTION}, or jobs can be evicted`,
      );
    }
    return undefined;
  }
  if (policy === undefined) {
    if (!options.allowEviction) {
      logger.warn(
        { redis: where },
        `could not read Redis maxmemory-policy; make sure it is ${NO_EVICTION}, or jobs can be evicted`,
      );
    }
    return undefined;
  }
  if (policy === NO_EVICTION) return policy;
  if (!options.allowEviction && !fromConfig) {
    logger.warn(
      { redis: where, maxmemoryPolicy: policy },
      `Redis reports maxmemory-policy ${policy} (read from INFO; CONFIG is not available, as on managed Redis): under memory pressure it may evict queued takedowns and lose them without a DLQ entry; set maxmemory-policy ${NO_EVICTION} in your provider's parameter group`,
    );
    return policy;
  }
  if (!options.allowEviction) throw new EvictionPolicyError(policy, where);
  logger.warn(
    { redis: where, maxmemoryPolicy: policy },
    `REDIS_ALLOW_EVICTION=true: running although Redis maxmemory-policy is ${policy}; under memory pressure Redis may evict queued takedowns and lose them without a DLQ entry`,
  );
  return policy;
}
