import type { AgoraOp } from '../agora/types.js';

export interface CallLogEntry {
  /** 1-based, in arrival order; restarts at 1 after a reset. */
  seq: number;
  /** Arrival, epoch ms. */
  time: number;
  method: string;
  /** Path incl. query string, as received. */
  path: string;
  op: AgoraOp | 'unknown';
  appId: string;
  region: string;
  streamKey?: string;
  sid?: string;
  /** HTTP status answered; 0 while unanswered (in flight, or held by a timeout fault). */
  status: number;
  /** The X-Request-ID answered (absent on 401 and while unanswered). */
  requestId?: string;
  durationMs?: number;
}

export type NewCallLogEntry = Omit<CallLogEntry, 'seq' | 'status'>;

export interface CallLog {
  /** Appends at arrival; the returned entry is completed in place when the answer goes out. */
  append(entry: NewCallLogEntry): CallLogEntry;
  /** Entries with seq > `since` still in the ring, oldest first, at most `limit`. */
  since(since: number, limit?: number): CallLogEntry[];
  /** Calls logged since the last reset (including those the ring has dropped). */
  total(): number;
  clear(): void;
}

/** Ring buffer of the last `capacity` calls; seq → slot is arithmetic, so lookups are O(1). */
export function createCallLog(capacity = 200_000): CallLog {
  let ring: (CallLogEntry | undefined)[] = new Array<CallLogEntry | undefined>(capacity);
  let nextSeq = 1;

  return {
    append(entry) {
      const full: CallLogEntry = { seq: nextSeq, ...entry, status: 0 };
      ring[(nextSeq - 1) % capacity] = full;
      nextSeq += 1;
      return full;
    },
    since(since, limit = Number.MAX_SAFE_INTEGER) {
      const oldest = Math.max(1, nextSeq - capacity);
      const out: CallLogEntry[] = [];
      for (let seq = Math.max(oldest, since + 1); seq < nextSeq && out.length < limit; seq += 1) {
        const e = ring[(seq - 1) % capacity];
        if (e !== undefined) out.push(e);
      }
      return out;
    },
    total: () => nextSeq - 1,
    clear() {
      ring = new Array<CallLogEntry | undefined>(capacity);
      nextSeq = 1;
    },
  };
}
