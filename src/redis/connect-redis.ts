import { createRedisConnection } from './create-redis-connection.js';
import type { RedisClient, RedisRole } from './create-redis-connection.js';
import { redisModeOf } from './redis-settings.js';
import type { RedisTarget } from './redis-settings.js';

export interface ConnectRedisOptions {
  role: RedisRole;
  /** How long the first connection may take. */
  connectTimeoutMs: number;
}

/**
 * A connection of the factory, connected and ready. Rejects (with ioredis's reason, which never
 * holds a password) within about `connectTimeoutMs` (twice that for Sentinel and Cluster) when Redis does not answer, leaving nothing
 * open behind. Later errors arrive as 'error' events: the caller attaches its listener.
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
    client.disconnect();
    throw err;
  }
  return client;
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
