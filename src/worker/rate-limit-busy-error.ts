import type { CallClass } from '../agora/types.js';

/**
 * The App ID's call budget is booked further ahead than a caller may hold a concurrency slot
 * (`maxHoldMs`). Nothing was reserved: park the job for `retryAfterMs` (moveToDelayed) and let
 * the slot serve another App ID. Not a failure of the takedown, so it should not burn an attempt.
 */
export class RateLimitBusyError extends Error {
  override readonly name = 'RateLimitBusyError';
  readonly retryable = true;
  readonly appId: string;
  readonly callClass: CallClass;
  /** How long the booked schedule for this App ID and class currently runs ahead of now. */
  readonly backlogMs: number;
  /** When coming back is likely to find a slot within the hold budget. */
  readonly retryAfterMs: number;

  constructor(
    details: { appId: string; callClass: CallClass; backlogMs: number; retryAfterMs: number },
    options?: { cause?: unknown },
  ) {
    super(
      `rate limit busy for appId ${details.appId} (${details.callClass}): ` +
        `booked ${details.backlogMs} ms ahead, retry in ${details.retryAfterMs} ms`,
      options,
    );
    this.appId = details.appId;
    this.callClass = details.callClass;
    this.backlogMs = details.backlogMs;
    this.retryAfterMs = details.retryAfterMs;
  }
}
