import { Cluster } from 'ioredis';
import { createRedisConnection } from './create-redis-connection.js';
import type { RedisClient, RedisRole } from './create-redis-connection.js';
import { explainConnectError } from './explain-connect-error.js';
import { redisModeOf, toRedisSettings, usesTls } from './redis-settings.js';
import type { RedisTarget } from './redis-settings.js';
import { dropRedis } from './drop-redis.js';

export interface ConnectRedisOptions {
  role: RedisRole;
  /** How long the first connection may take. */
  connectTimeoutMs: number;
}

/**
 * A connection of the factory, connected and ready. Rejects within about `connectTimeoutMs`
 * (twice that for Sentinel and Cluster) when Redis does not answer, leaving nothing open
 * behind, with the reason (a Cluster's from a seed node that failed, not "Failed to refresh
 * slots cache") and, for TLS mistakes, what to set (`explainConnectError`; never a password).
 * Later errors arrive as 'error' events: the caller attaches its listener.
 */
export async function connectRedis(
  target: RedisTarget,
  options: ConnectRedisOptions,
): Promise<RedisClient> {
  const client = createRedisConnection(target, {
    role: options.role,
    lazyConnect: true,
    connectTimeoutMs: options.connectTimeoutMs,
  });
  // Sentinel and Cluster take two steps (ask a Sentinel or seed node, then connect to the
  // master or every node): give them twice as long.
  const readyWithinMs =
    redisModeOf(target) === 'single' ? options.connectTimeoutMs : options.connectTimeoutMs * 2;
  try {
    await waitUntilReady(client, readyWithinMs);
  } catch (err) {
    dropRedis(client);
    // ioredis's Cluster swallows why its seed nodes failed ("Connection is closed."): ask them
    // one by one, as a single server, to find the reason (a TLS certificate, a wrong port).
    const seedError =
      client instanceof Cluster ? await seedNodeError(target, options.connectTimeoutMs) : undefined;
    const cause = seedError ?? (err as Error);
    throw new Error(explainConnectError(cause, usesTls(target)), { cause: err });
  }
  return client;
}

/** The first Cluster seed node's error when it is connected to on its own; none if all answer. */
async function seedNodeError(target: RedisTarget, timeoutMs: number): Promise<Error | undefined> {
  const settings = toRedisSettings(target);
  const errors = await Promise.all(
    settings.clusterNodes.map(async (node): Promise<Error | undefined> => {
      const probe = createRedisConnection(
        { ...settings, clusterNodes: [], sentinels: [], url: `redis://${node}` },
        { role: 'probe', lazyConnect: true, connectTimeoutMs: timeoutMs },
      );
      // connect() rejects with "Connection is closed."; the 'error' event says why.
      let reason: Error | undefined;
      probe.on('error', (e: Error) => (reason ??= e));
      try {
        await probe.connect();
        await probe.ping();
        return undefined;
      } catch (e) {
        return reason ?? (e as Error);
      } finally {
        dropRedis(probe);
      }
    }),
  );
  return errors.find((e) => e !== undefined);
}

function waitUntilReady(client: RedisClient, timeoutMs: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const cleanup = (): void => {
      clearTimeout(timer);
      client.off('ready', onReady);
      client.off('error', onError);
      client.off('end', onEnd);
    };
    const onReady = (): void => {
      cleanup();
      resolve();
    };
    const onError = (err: Error): void => {
      cleanup();
      reject(err);
    };
    const onEnd = (): void => {
      cleanup();
      reject(new Error('connection closed'));
    };
    // ioredis applies connectTimeout to the TCP connect only; this also bounds a server that
    // accepts the connection but never answers.
    const timer = setTimeout(
      () => onError(new Error(`no answer within ${timeoutMs} ms`)),
      timeoutMs + 250,
    );
    client.once('ready', onReady);
    client.on('error', onError);
    client.once('end', onEnd);
    // The outcome arrives through the events above; this promise only repeats it.
    client.connect().catch(() => undefined);
  });
}
