import { pingRedis } from './ping-redis.js';
import { RedisBinaryMissingError, startThrowawayRedis } from './throwaway-redis.js';
import type { DemoRedis } from './throwaway-redis.js';

export const LOCAL_REDIS = { host: '127.0.0.1', port: 6379 } as const;

export const GET_REDIS_HELP = [
  'The demo needs Redis 6.2+ and found none. Any of these works:',
  '  Debian/Ubuntu:  sudo apt-get install -y redis-server   (the demo starts it by itself)',
  '  macOS:          brew install redis',
  '  Docker:         docker run --rm -p 6379:6379 redis:7',
  'or point the demo at one: REDIS_URL=redis://host:6379 npm run demo',
].join('\n');

/** No Redis to use: not configured, nothing on 127.0.0.1:6379, no redis-server to start. */
export class RedisNotFoundError extends Error {
  override readonly name = 'RedisNotFoundError';
  readonly retryable = false;
}

export interface FindRedisOptions {
  /** The `REDIS_URL` the user set, if any; it is used as it is (never second-guessed). */
  redisUrl?: string | undefined;
  /** Probe for the local Redis (tests). @defaultValue PING on 127.0.0.1:6379 */
  probeLocal?: () => Promise<boolean>;
  /** Starts a throw-away server (tests). @defaultValue redis-server from PATH */
  startThrowaway?: () => Promise<DemoRedis>;
}

const nothingToClose: Pick<DemoRedis, 'close' | 'killNow'> = {
  close: () => Promise.resolve(),
  killNow: () => undefined,
};

/**
 * Finds a Redis for the demo, in this order: `REDIS_URL` when set; else 127.0.0.1:6379 when it
 * answers PING; else a throw-away `redis-server` from PATH; else RedisNotFoundError with
 * instructions. Only the throw-away server has something to close.
 */
export async function findRedis(options: FindRedisOptions = {}): Promise<DemoRedis> {
  const configured = options.redisUrl?.trim();
  if (configured !== undefined && configured !== '') {
    return { url: configured, source: 'REDIS_URL', ...nothingToClose };
  }
  const probeLocal =
    options.probeLocal ?? (() => pingRedis(LOCAL_REDIS.host, LOCAL_REDIS.port, 500));
  if (await probeLocal()) {
    return {
      url: `redis://${LOCAL_REDIS.host}:${LOCAL_REDIS.port}`,
      source: 'local',
      ...nothingToClose,
    };
  }
  const start = options.startThrowaway ?? (() => startThrowawayRedis());
  try {
    return await start();
  } catch (err) {
    const why =
      err instanceof RedisBinaryMissingError
        ? 'no Redis answers on 127.0.0.1:6379 and redis-server is not on PATH.'
        : `no Redis answers on 127.0.0.1:6379 and redis-server did not start: ${(err as Error).message}.`;
    throw new RedisNotFoundError(`${why}\n${GET_REDIS_HELP}`, { cause: err });
  }
}
