import { setTimeout as sleep } from 'node:timers/promises';

export interface WaitForOptions {
  /** Give up after this many ms. @defaultValue 10000 */
  timeoutMs?: number;
  /** Poll interval in ms. @defaultValue 25 */
  intervalMs?: number;
  /** Says what was awaited in the timeout error. */
  what?: string;
}

/**
 * Polls `predicate` until it returns a truthy value and resolves with that value; rejects after
 * `timeoutMs` with the last value (or error) seen, so a failing test says what it was waiting for.
 */
export async function waitFor<T>(
  predicate: () => T | Promise<T>,
  options: WaitForOptions = {},
): Promise<NonNullable<T>> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const intervalMs = options.intervalMs ?? 25;
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  let lastError: unknown;
  for (;;) {
    try {
      last = await predicate();
      lastError = undefined;
      if (last) return last as NonNullable<T>;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() >= deadline) {
      const seen =
        lastError instanceof Error
          ? `last error: ${lastError.message}`
          : `last value: ${JSON.stringify(last)}`;
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${options.what ?? 'condition'} (${seen})`,
        {
          cause: lastError,
        },
      );
    }
    await sleep(intervalMs);
  }
}
