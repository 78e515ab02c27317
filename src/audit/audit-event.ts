import type { DeadLetterError, DeadLetterReason, TakedownOutcome } from '../jobs/index.js';

/**
 * The audit trail of one takedown is a Redis string of newline-separated JSON events, appended
 * as things happen (one atomic script per write: compact, and no event lost to a concurrent
 * writer). Short keys on purpose: hundreds of thousands of records are kept for 400 days. `t` is
 * epoch ms everywhere.
 */
export type AuditEvent =
  | RequestEvent
  | StepEvent
  | CallEvent
  | StreamSeenEvent
  | OutcomeEvent
  | DeadLetterEvent
  | ConfirmationEvent
  | CallbackEvent;

/** Who asked, why, when: the payload with the stream key replaced by its mask and fingerprint. */
export interface RequestEvent {
  e: 'q';
  t: number;
  j: string;
  /** The payload's fields (validated), streamKey dropped; `km`/`kf` hold the key's view. */
  p: Record<string, unknown>;
}

export interface StepEvent {
  e: 's';
  t: number;
  s: string;
  /** Duration, ms. */
  d: number;
}

/** One Agora call: operation, region, HTTP status (0 = no answer), X-Request-ID. */
export interface CallEvent {
  e: 'c';
  t: number;
  o: string;
  r: string;
  st: number;
  id: string;
}

/** The stream's start time (Agora's `beginAt`), as seen by resolve or verify. */
export interface StreamSeenEvent {
  e: 'b';
  t: number;
  b: string;
}

export interface OutcomeEvent {
  e: 'o';
  t: number;
  o: TakedownOutcome;
  /** Key revoked in at least one region. */
  kr: boolean;
  /** SIDs cut. */
  dc: number;
}

export interface DeadLetterEvent {
  e: 'x';
  t: number;
  r: DeadLetterReason;
  fs: string;
  a: number;
  err: DeadLetterError;
}

/** An Agora confirmation that the stream is down (notification or check), recorded once per arrival. */
export interface ConfirmationEvent {
  e: 'k';
  t: number;
  /** Where it came from, e.g. `ncs` (Agora notification). */
  src: string;
  /** What Agora said, in its own words (event type or status). */
  what?: string;
}

/** What the requester was told: a callback delivered, or given up on. */
export interface CallbackEvent {
  e: 'cb';
  t: number;
  ty: string;
  res: 'delivered' | 'failed';
  st?: number;
}
