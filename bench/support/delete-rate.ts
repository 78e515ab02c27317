import type { CallLogEntry } from '../../src/simulator/index.js';

const DELETE_OPS = new Set(['delete-key', 'disconnect']);

export interface DeleteRate {
  appId: string;
  deletes: number;
  /** First delete-class call of any App ID in `calls` → this App ID's last, ms. */
  windowMs: number;
  /** This App ID's own first → last delete-class call, ms. */
  ownWindowMs: number;
  /** Delete calls per second over `windowMs` (n calls at rate r span (n − 1)/r s). */
  rate: number;
  /** This App ID's first delete after the first of any App ID, ms. */
  startDelayMs: number;
}

/** Delete-class calls per second of each App ID, from the simulator's call log. */
export function deleteRates(
  calls: readonly CallLogEntry[],
  appIds: readonly string[],
): DeleteRate[] {
  const deletes = calls.filter((c) => DELETE_OPS.has(c.op));
  const t0 = Math.min(...deletes.map((c) => c.time));
  return appIds.map((appId) => {
    const mine = deletes.filter((c) => c.appId === appId);
    const first = Math.min(...mine.map((c) => c.time));
    const last = Math.max(...mine.map((c) => c.time));
    const windowMs = last - t0;
    return {
      appId,
      deletes: mine.length,
      windowMs,
      ownWindowMs: last - first,
      rate: windowMs > 0 ? ((mine.length - 1) * 1000) / windowMs : Number.NaN,
      startDelayMs: first - t0,
    };
  });
}
