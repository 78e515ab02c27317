import { randomUUID } from 'node:crypto';
import type { RedisClient } from '../redis/index.js';

// Compare-then-act on the holder's token, atomically: a holder whose lock expired (a long GC
// pause, a frozen process) can neither extend, release nor write under another holder's lock.
const EXTEND = `if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0`;
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0`;
const WRITE_HASH = `if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[2], unpack(ARGV, 2))
return 1`;

export interface ReconcilerLock {
  /** Takes the lock, or extends it when this holder has it already; false while another has it. */
  acquire(): Promise<boolean>;
  /** Extends the lock while this holder has it; false once it is lost. */
  extend(): Promise<boolean>;
  /** Sets fields of `hashKey` only while this holder has the lock (fencing); false when not. */
  writeWhileHeld(hashKey: string, fields: Record<string, string>): Promise<boolean>;
  /** Gives the lock up (compare-and-delete); a no-op when another holder has it. */
  release(): Promise<void>;
}

export interface ReconcilerLockOptions {
  redis: RedisClient;
  key: string;
  /** How long the lock lasts unless extended, in ms. */
  ttlMs: number;
  /** This holder's token. @defaultValue a random UUID */
  token?: string;
}

/** A Redis lock with a TTL, owned by a token: SET NX PX, extended and released by Lua. */
export function createReconcilerLock(options: ReconcilerLockOptions): ReconcilerLock {
  const { redis, key } = options;
  const token = options.token ?? randomUUID();
  const ttl = String(Math.max(1, Math.round(options.ttlMs)));
  const extend = async (): Promise<boolean> =>
    Number(await redis.eval(EXTEND, 1, key, token, ttl)) === 1;
  return {
    acquire: async () => (await redis.set(key, token, 'PX', ttl, 'NX')) === 'OK' || extend(),
    extend,
    writeWhileHeld: async (hashKey, fields) =>
      Number(
        await redis.eval(WRITE_HASH, 2, key, hashKey, token, ...Object.entries(fields).flat()),
      ) === 1,
    release: async () => {
      await redis.eval(RELEASE, 1, key, token);
    },
  };
}
