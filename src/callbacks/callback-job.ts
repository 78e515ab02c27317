import { createHash } from 'node:crypto';

/** The BullMQ queue of outcome callbacks: its own queue, so a slow receiver never holds a takedown. */
export const CALLBACK_QUEUE = 'takedown-callbacks';
export const CALLBACK_JOB_NAME = 'callback';

export const CALLBACK_EVENT_TYPES = [
  'takedown.completed',
  'takedown.dead-lettered',
  'takedown.confirmed',
] as const;
export type CallbackEventType = (typeof CALLBACK_EVENT_TYPES)[number];

/** What a callback job carries: the signed request is rebuilt from it on every attempt. */
export interface CallbackJobData {
  v: 1;
  /** The receiver (validated when the takedown was requested, checked again before each attempt). */
  url: string;
  /** `webhook-id`: the same on every retry, so the receiver can deduplicate. */
  webhookId: string;
  type: CallbackEventType;
  /** The JSON body, exactly as signed. */
  body: string;
  /** The takedown it reports on, and its request time (names its audit record). */
  takedownJobId: string;
  requestedAt: string;
}

/**
 * `msg_` + 32 hex of SHA-256 over the event's identity: deterministic, so an outcome reported
 * twice (a job run again after its lock was lost, a second DLQ writer) is one callback job — the
 * webhook id doubles as the BullMQ job id — and one delivery.
 */
export function webhookIdOf(type: CallbackEventType, recordId: string, discriminator = ''): string {
  const digest = createHash('sha256')
    .update(`${type}\n${recordId}\n${discriminator}`)
    .digest('hex');
  return `msg_${digest.slice(0, 32)}`;
}
