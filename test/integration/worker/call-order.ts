import type { CallLogEntry } from '../../../src/simulator/index.js';

export interface OrderViolation {
  seq: number;
  sid: string;
  streamKey: string | undefined;
  problem: string;
}

/**
 * Checks the simulator's call log (arrival order) for the one rule of a takedown: a session is
 * disconnected only after its stream key was revoked (DELETE answered 200, or 404 = already gone).
 * `sidToKey` maps every SID the test saw to its key. Returns what broke the rule (empty = fine).
 */
export function orderViolations(
  calls: readonly CallLogEntry[],
  sidToKey: ReadonlyMap<string, string>,
): OrderViolation[] {
  const revokedAt = new Map<string, number>();
  const out: OrderViolation[] = [];
  for (const call of [...calls].sort((a, b) => a.seq - b.seq)) {
    if (
      call.op === 'delete-key' &&
      call.streamKey !== undefined &&
      (call.status === 200 || call.status === 404)
    ) {
      if (!revokedAt.has(call.streamKey)) revokedAt.set(call.streamKey, call.seq);
    }
    // Only a disconnect that cut a live session matters; 404 = it was already gone.
    if (call.op !== 'disconnect' || call.status !== 200 || call.sid === undefined) continue;
    const streamKey = sidToKey.get(call.sid);
    if (streamKey === undefined) {
      out.push({
        seq: call.seq,
        sid: call.sid,
        streamKey,
        problem: 'disconnected a SID of unknown key',
      });
    } else if (!revokedAt.has(streamKey)) {
      out.push({
        seq: call.seq,
        sid: call.sid,
        streamKey,
        problem: 'disconnected before its key was revoked',
      });
    }
  }
  return out;
}
