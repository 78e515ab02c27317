import { OP_CLASS } from '../agora/types.js';
import type { AgoraApi, AgoraOp, CallClass, CallOptions } from '../agora/types.js';
import type { RateLimiter } from './rate-limiter.js';

export interface WithRateLimitOptions {
  /** Called after every acquire (waitedMs may be 0), e.g. for a wait-time histogram. */
  onWait?(appId: string, cls: CallClass, waitedMs: number): void;
  /**
   * How long every worker leaves the App ID's class alone after a 429 (an error's own
   * `retryAfterMs` wins when longer).
   * @defaultValue 1000
   */
  penaltyMs?: number;
  /**
   * Longest pause a 429's `Retry-After` may impose on the App ID (a proxy answering
   * `Retry-After: 3600` must not freeze it, urgent work included, for an hour).
   * @defaultValue 10000
   */
  retryAfterMaxMs?: number;
  /** Every call of this API is urgent (as if each said `urgent` in its options). */
  urgent?: boolean;
}

/** Agora said 429; duck-typed so a wrapped or re-created error still counts. */
function tooManyRequests(err: unknown): { retryAfterMs: number } | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const { status, retryAfterMs } = err as { status?: unknown; retryAfterMs?: unknown };
  if (status !== 429) return undefined;
  return {
    retryAfterMs:
      typeof retryAfterMs === 'number' && Number.isFinite(retryAfterMs) ? retryAfterMs : 0,
  };
}

/**
 * Every call waits for its App ID's slot of its call class (OP_CLASS) before it goes out (in the
 * urgent lane when the call says `urgent`); a 429 pauses that App ID for every worker process —
 * for its Retry-After, capped at `retryAfterMaxMs` — then the error is rethrown unchanged.
 * The limiter's RateLimitBusyError and abort reasons propagate as they are.
 */
export function withRateLimit(
  api: AgoraApi,
  limiter: RateLimiter,
  options: WithRateLimitOptions = {},
): AgoraApi {
  const penaltyMs = options.penaltyMs ?? 1000;
  const retryAfterMaxMs = options.retryAfterMaxMs ?? 10_000;
  for (const [field, value] of [
    ['penaltyMs', penaltyMs],
    ['retryAfterMaxMs', retryAfterMaxMs],
  ] as const) {
    if (!Number.isFinite(value) || value < 0) {
      throw new RangeError(`withRateLimit: ${field} must be a finite number ≥ 0, got ${value}`);
    }
  }

  async function limited<T>(
    op: AgoraOp,
    appId: string,
    opts: CallOptions | undefined,
    call: () => Promise<T>,
  ): Promise<T> {
    const cls = OP_CLASS[op];
    const { waitedMs } = await limiter.acquire(appId, cls, opts?.signal, {
      urgent: options.urgent === true || opts?.urgent === true,
    });
    options.onWait?.(appId, cls, waitedMs);
    try {
      return await call();
    } catch (err) {
      const limited = tooManyRequests(err);
      if (limited) {
        // Best effort: the 429 is what the caller must see, not a Redis hiccup while slowing down.
        await limiter
          .penalize(
            appId,
            cls,
            Math.max(penaltyMs, Math.min(limited.retryAfterMs, retryAfterMaxMs)),
          )
          .catch(() => undefined);
      }
      throw err;
    }
  }

  return {
    createStreamKey: (input, opts) =>
      limited('create-key', input.appId, opts, () => api.createStreamKey(input, opts)),
    queryStreamKey: (ref, opts) =>
      limited('query-key', ref.appId, opts, () => api.queryStreamKey(ref, opts)),
    deleteStreamKey: (ref, opts) =>
      limited('delete-key', ref.appId, opts, () => api.deleteStreamKey(ref, opts)),
    listOnlineStreams: (ref, opts) =>
      limited('list-streams', ref.appId, opts, () => api.listOnlineStreams(ref, opts)),
    queryOnlineStream: (ref, opts) =>
      limited('query-stream', ref.appId, opts, () => api.queryOnlineStream(ref, opts)),
    disconnectStream: (ref, opts) =>
      limited('disconnect', ref.appId, opts, () => api.disconnectStream(ref, opts)),
  };
}
