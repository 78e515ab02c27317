import { OP_CLASS } from '../agora/types.js';
import type { AgoraApi, AgoraOp, CallClass } from '../agora/types.js';
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
  /** Hold budget per call instead of the limiter's own (see createTakedownWorker: urgent jobs). */
  maxHoldMs?: number;
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
 * Every call waits for its App ID's slot of its call class (OP_CLASS) before it goes out; a 429
 * slows that App ID down for every worker process, then the error is rethrown unchanged.
 * The limiter's RateLimitBusyError and abort reasons propagate as they are.
 */
export function withRateLimit(
  api: AgoraApi,
  limiter: RateLimiter,
  options: WithRateLimitOptions = {},
): AgoraApi {
  const penaltyMs = options.penaltyMs ?? 1000;
  if (!Number.isFinite(penaltyMs) || penaltyMs < 0) {
    throw new RangeError(`withRateLimit: penaltyMs must be a finite number ≥ 0, got ${penaltyMs}`);
  }

  async function limited<T>(
    op: AgoraOp,
    appId: string,
    signal: AbortSignal | undefined,
    call: () => Promise<T>,
  ): Promise<T> {
    const cls = OP_CLASS[op];
    const { waitedMs } = await limiter.acquire(
      appId,
      cls,
      signal,
      options.maxHoldMs === undefined ? {} : { maxHoldMs: options.maxHoldMs },
    );
    options.onWait?.(appId, cls, waitedMs);
    try {
      return await call();
    } catch (err) {
      const limited = tooManyRequests(err);
      if (limited) {
        // Best effort: the 429 is what the caller must see, not a Redis hiccup while slowing down.
        await limiter
          .penalize(appId, cls, Math.max(penaltyMs, limited.retryAfterMs))
          .catch(() => undefined);
      }
      throw err;
    }
  }

  return {
    createStreamKey: (input, opts) =>
      limited('create-key', input.appId, opts?.signal, () => api.createStreamKey(input, opts)),
    queryStreamKey: (ref, opts) =>
      limited('query-key', ref.appId, opts?.signal, () => api.queryStreamKey(ref, opts)),
    deleteStreamKey: (ref, opts) =>
      limited('delete-key', ref.appId, opts?.signal, () => api.deleteStreamKey(ref, opts)),
    listOnlineStreams: (ref, opts) =>
      limited('list-streams', ref.appId, opts?.signal, () => api.listOnlineStreams(ref, opts)),
    queryOnlineStream: (ref, opts) =>
      limited('query-stream', ref.appId, opts?.signal, () => api.queryOnlineStream(ref, opts)),
    disconnectStream: (ref, opts) =>
      limited('disconnect', ref.appId, opts?.signal, () => api.disconnectStream(ref, opts)),
  };
}
