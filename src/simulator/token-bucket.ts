/**
 * A token bucket with continuous refill: capacity = rate (one second of burst), refilled at
 * `ratePerSec` tokens per second. Time is passed in so the bucket is pure and testable.
 */
export class TokenBucket {
  private tokens: number;
  private updatedAt: number;

  constructor(
    private readonly ratePerSec: number,
    nowMs: number,
  ) {
    this.tokens = ratePerSec;
    this.updatedAt = nowMs;
  }

  /** Takes one token if there is one; false means the caller is over the rate. */
  take(nowMs: number): boolean {
    const elapsed = nowMs - this.updatedAt;
    if (elapsed > 0) {
      this.tokens = Math.min(this.ratePerSec, this.tokens + (elapsed * this.ratePerSec) / 1000);
      this.updatedAt = nowMs;
    }
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return true;
    }
    return false;
  }

  /** Tokens available at `nowMs` (without taking one). */
  available(nowMs: number): number {
    const elapsed = Math.max(0, nowMs - this.updatedAt);
    return Math.min(this.ratePerSec, this.tokens + (elapsed * this.ratePerSec) / 1000);
  }
}
