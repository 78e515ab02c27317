import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import { Cluster, Redis } from 'ioredis';
import type { ClusterOptions, RedisOptions } from 'ioredis';
import { parseHostPort, redisModeOf, toRedisSettings, usesTls } from './redis-settings.js';
import type { RedisSettings, RedisTarget } from './redis-settings.js';

/** What every part of the project talks to: one server (also behind Sentinel) or a Cluster. */
export type RedisClient = Redis | Cluster;

/**
 * What the connection is for; BullMQ needs different things of each:
 * - `worker`: BullMQ Worker and its queues, the rate limiter, the reconciler. Never gives up a
 *   command (`maxRetriesPerRequest: null`, on every Cluster node too): a blocking connection
 *   that errors out stops the worker, and a failover must only pause it.
 * - `producer`: producers, the CLI, the ops server (readiness, queue counts). Fails fast: no
 *   offline queue, one retry, so a caller hears "Redis unreachable" within seconds.
 * - `probe`: a one-shot start-up check. One try, no reconnect.
 */
export type RedisRole = 'worker' | 'producer' | 'probe';

export interface RedisConnectionOptions {
  role: RedisRole;
  /** Do not connect before the first command or `connect()`. @defaultValue false */
  lazyConnect?: boolean;
  /** TCP connect (and, for `probe`, command) timeout. @defaultValue 10000 (probe: 5000) */
  connectTimeoutMs?: number;
}

/** Longest a producer's command waits for its answer, in ms. */
const PRODUCER_COMMAND_TIMEOUT_MS = 5000;

/** How often a Cluster client re-reads the slot map, in ms (finds a master promoted by a failover). */
const SLOTS_REFRESH_INTERVAL_MS = 5000;

/** Longest pause between reconnect attempts, in ms. */
const MAX_RECONNECT_DELAY_MS = 2000;

const reconnectDelay = (times: number): number => Math.min(times * 200, MAX_RECONNECT_DELAY_MS);

/**
 * After a Sentinel failover a connection may still reach the demoted master, now a replica that
 * answers writes with READONLY: reconnect (through the Sentinels, to the new master) and send
 * the command again.
 */
const reconnectOnReadonly = (err: Error): 2 | false =>
  err.message.startsWith('READONLY') ? 2 : false;

/** The ioredis options of a role, common to every node of every mode. */
function roleOptions(options: RedisConnectionOptions): RedisOptions {
  const connectTimeout = options.connectTimeoutMs ?? (options.role === 'probe' ? 5000 : 10_000);
  const lazy = options.lazyConnect === true ? { lazyConnect: true } : {};
  switch (options.role) {
    case 'worker':
      return { ...lazy, connectTimeout, maxRetriesPerRequest: null };
    case 'producer':
      return {
        ...lazy,
        connectTimeout,
        // A server that stopped answering (frozen, or a master cut off mid-failover) keeps its
        // socket open: without this the command would wait for it for ever.
        commandTimeout: PRODUCER_COMMAND_TIMEOUT_MS,
        enableOfflineQueue: false,
        maxRetriesPerRequest: 1,
        // After the first connection it keeps trying to get back, never faster than 200 ms.
        retryStrategy: reconnectDelay,
      };
    case 'probe':
      return {
        ...lazy,
        connectTimeout,
        commandTimeout: connectTimeout,
        enableOfflineQueue: false,
        maxRetriesPerRequest: 0,
        retryStrategy: () => null,
        // ioredis keeps the process alive this long after disconnect() on a failed socket.
        disconnectTimeout: 100,
      };
  }
}

function tlsOptions(settings: RedisSettings): ConnectionOptions | undefined {
  if (!usesTls(settings)) return undefined;
  return settings.tlsCaFile === undefined ? {} : { ca: readFileSync(settings.tlsCaFile) };
}

function credentials(settings: RedisSettings): Pick<RedisOptions, 'username' | 'password'> {
  return {
    ...(settings.username === undefined ? {} : { username: settings.username }),
    ...(settings.password === undefined ? {} : { password: settings.password }),
  };
}

/**
 * The one place that creates Redis connections, for every mode (single server, Redis Cluster,
 * Sentinel) and role. Errors are emitted as 'error' events: attach a listener.
 */
export function createRedisConnection(
  target: RedisTarget,
  options: RedisConnectionOptions,
): RedisClient {
  const settings = toRedisSettings(target);
  const role = roleOptions(options);
  const tls = tlsOptions(settings);
  const probe = options.role === 'probe';

  switch (redisModeOf(settings)) {
    case 'single':
      return new Redis(settings.url, {
        ...role,
        ...credentials(settings),
        ...(tls === undefined ? {} : { tls }),
        ...(probe ? {} : { reconnectOnError: reconnectOnReadonly }),
      });

    case 'sentinel':
      return new Redis({
        ...role,
        ...credentials(settings),
        sentinels: settings.sentinels.map(parseHostPort),
        name: settings.sentinelName,
        ...(settings.sentinelPassword === undefined
          ? {}
          : { sentinelPassword: settings.sentinelPassword }),
        ...(tls === undefined ? {} : { tls, sentinelTLS: tls, enableTLSForSentinelMode: true }),
        // The default retries unreachable Sentinels forever, which would hang a probe.
        sentinelRetryStrategy: probe ? () => null : reconnectDelay,
        // Hears +switch-master from the Sentinels and reconnects at once, rather than when the
        // old master's socket finally errors.
        failoverDetector: !probe,
        ...(probe ? {} : { reconnectOnError: reconnectOnReadonly }),
      });

    case 'cluster': {
      // The node-level reconnect stays ioredis's; the Cluster decides when to give up.
      const { lazyConnect, enableOfflineQueue, retryStrategy: _retry, ...nodeOptions } = role;
      const clusterOptions: ClusterOptions = {
        // BullMQ reads maxRetriesPerRequest from here for a Cluster.
        redisOptions: {
          ...nodeOptions,
          ...credentials(settings),
          ...(tls === undefined ? {} : { tls }),
        },
        // Fail fast at the Cluster level only: a node's own offline queue must stay on, or the
        // first command to a node not connected yet fails.
        enableOfflineQueue: enableOfflineQueue ?? true,
        clusterRetryStrategy: probe ? () => null : reconnectDelay,
        // A failover closes the old master's connections and answers CLUSTERDOWN for a moment:
        // wait a little and ask again (up to maxRedirections times), with a fresh slot map.
        retryDelayOnFailover: 200,
        retryDelayOnClusterDown: 300,
        retryDelayOnTryAgain: 200,
        slotsRefreshTimeout: Math.min(role.connectTimeout ?? 2000, 5000),
        // A master that froze never closes its connections, so no error tells the client about
        // the failover: look at the slot map now and then.
        ...(probe ? {} : { slotsRefreshInterval: SLOTS_REFRESH_INTERVAL_MS }),
        // TLS certificates name hosts, not the IPs DNS gives (ElastiCache/MemoryDB cluster mode).
        ...(tls === undefined
          ? {}
          : {
              dnsLookup: (address: string, done: (err: null, address: string) => void) =>
                done(null, address),
            }),
        ...(lazyConnect === true ? { lazyConnect } : {}),
      };
      return new Cluster(settings.clusterNodes.map(parseHostPort), clusterOptions);
    }
  }
}
