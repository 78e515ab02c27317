import { createHash } from 'node:crypto';
import type { RedisClient } from '../redis/index.js';
import { describeCallbackUrl } from '../jobs/index.js';

/**
 * URLs whose receiver answered 410 Gone: nothing is sent to them again. A Redis hash under the
 * queue prefix, field = SHA-256 of the URL (the URL may carry a token), value = when and which.
 */
export interface DisabledUrls {
  isDisabled(url: string): Promise<boolean>;
  disable(url: string, at: Date): Promise<void>;
  /** Sends to the URL again; false when it was not disabled. */
  enable(url: string): Promise<boolean>;
}

const field = (url: string): string => createHash('sha256').update(url).digest('hex');

export function createDisabledUrls(redis: RedisClient, prefix: string): DisabledUrls {
  const key = `${prefix}:callbacks:disabled`;
  return {
    async isDisabled(url) {
      return (await redis.hexists(key, field(url))) === 1;
    },
    async disable(url, at) {
      await redis.hset(
        key,
        field(url),
        JSON.stringify({ url: describeCallbackUrl(url), disabledAt: at.toISOString() }),
      );
    },
    async enable(url) {
      return (await redis.hdel(key, field(url))) === 1;
    },
  };
}
