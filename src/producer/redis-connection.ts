import { Redis } from 'ioredis';
import { RedisUnavailableError } from './errors.js';
import type { ProducerLogger } from './producer-logger.js';

export interface RedisConnectionOptions {
  url: string;
  /** How long the first connection may take before Redis counts as unreachable. */
  connectTimeoutMs: number;
  logger: ProducerLogger;
}

/**
 * The URL as it is safe to print: the password (and only the password) is replaced by `***`.
 * A string that is not a URL is reduced to what precedes any credentials.
 */
export function redactRedisUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    // Not a URL: drop anything up to an '@', where a password could hide.
    const at = url.lastIndexOf('@');
    return at === -1 ? url : `***@${url.slice(at + 1)}`;
  }
  if (parsed.password !== '') parsed.password = '***';
  return parsed.toString().replace(/\/$/, '');
}

/**
 * A producer's Redis client, connected and ready, configured to fail fast: no offline queue
 * (a command while disconnected fails at once instead of waiting), one retry per request.
 * Resolves only once the server answered; otherwise rejects with RedisUnavailableError within
 * about `connectTimeoutMs`, leaving nothing open behind.
 */
export async function connectRedis(options: RedisConnectionOptions): Promise<Redis> {
  const safeUrl = redactRedisUrl(options.url);
  let client: Redis;
  try {
    client = new Redis(options.url, {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      connectTimeout: options.connectTimeoutMs,
      // After the first connection a producer keeps trying to get back, never faster than 200 ms.
      retryStrategy: (times) => Math.min(times * 200, 2000),
    });
  } catch (err) {
    // ioredis throws synchronously only for a URL it cannot parse.
    throw new RedisUnavailableError(safeUrl, 'invalid Redis URL', { cause: err });
  }

  try {
    await waitUntilReady(client, options.connectTimeoutMs);
  } catch (err) {
    client.disconnect();
    const reason = err instanceof Error ? err.message : String(err);
    throw new RedisUnavailableError(safeUrl, reason, { cause: err });
  }

  // Later errors surface through the failing calls; log them, but not once per reconnect attempt.
  let lastLogged = 0;
  client.on('error', (err: Error) => {
    const now = Date.now();
    if (now - lastLogged < 10_000) return;
    lastLogged = now;
    options.logger.warn({ redis: safeUrl, err: err.message }, 'producer Redis connection error');
  });
  return client;
}

function waitUntilReady(client: Redis, timeoutMs: number): Promise<void> {
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
