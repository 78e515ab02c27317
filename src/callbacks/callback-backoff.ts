/**
 * Delay before the next callback attempt: the schedule's entry for it (Standard Webhooks: at once,
 * 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h, 24 h), ±10% jitter so receivers coming back
 * from an outage are not hit by every retry at once. A receiver's Retry-After replaces it,
 * bounded by the schedule's largest step.
 */
export function callbackDelayMs(
  attemptsMade: number,
  schedule: readonly number[],
  retryAfterMs: number | undefined,
  random: () => number = Math.random,
): number {
  const cap = Math.max(0, ...schedule);
  if (retryAfterMs !== undefined && Number.isFinite(retryAfterMs) && retryAfterMs >= 0) {
    return Math.min(Math.round(retryAfterMs), cap);
  }
  const base = schedule[Math.min(attemptsMade, schedule.length - 1)] ?? cap;
  return Math.max(0, Math.round(base * (0.9 + 0.2 * random())));
}

/** `Retry-After` as seconds or an HTTP date → ms from `now`; undefined when absent or unreadable. */
export function parseRetryAfter(
  value: string | null,
  now: number = Date.now(),
): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  const text = value.trim();
  if (/^\d{1,10}$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  return Number.isFinite(at) ? Math.max(0, at - now) : undefined;
}
