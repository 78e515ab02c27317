import type { CallClass } from '../agora/types.js';
import type { SimulatorLimits } from './simulator-options.js';
import { TokenBucket } from './token-bucket.js';

export interface RateLimiter {
  /** True when the call may proceed; false = answer 429. */
  take(appId: string, callClass: CallClass, nowMs: number): boolean;
  limits(): SimulatorLimits;
  /** Changes limits; buckets start over (full) so a new limit applies at once. */
  setLimits(patch: Partial<SimulatorLimits>): void;
  reset(limits: SimulatorLimits): void;
}

const LIMIT_FIELD: Readonly<Record<CallClass, keyof SimulatorLimits>> = {
  create: 'createRps',
  delete: 'deleteRps',
  query: 'queryRps',
};

/** Agora limits per App ID and call class (reference §4.2): one bucket per `appId|class`. */
export function createRateLimiter(initial: SimulatorLimits): RateLimiter {
  let current: SimulatorLimits = { ...initial };
  const buckets = new Map<string, TokenBucket>();

  return {
    take(appId, callClass, nowMs) {
      const rps = current[LIMIT_FIELD[callClass]];
      if (rps === 0) return true;
      const id = `${appId}|${callClass}`;
      let bucket = buckets.get(id);
      if (bucket === undefined) {
        bucket = new TokenBucket(rps, nowMs);
        buckets.set(id, bucket);
      }
      return bucket.take(nowMs);
    },
    limits: () => ({ ...current }),
    setLimits(patch) {
      current = { ...current, ...patch };
      buckets.clear();
    },
    reset(limits) {
      current = { ...limits };
      buckets.clear();
    },
  };
}
