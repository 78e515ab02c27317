/** Queue names are stored in Redis and used by every process: never rename without a migration. */
export const TAKEDOWN_QUEUE = 'takedown';
export const DEAD_LETTER_QUEUE = 'takedown-dlq';
/** BullMQ job name for a takedown (a scheduled expiry is the same job with a different id). */
export const TAKEDOWN_JOB_NAME = 'takedown';
export const DEAD_LETTER_JOB_NAME = 'dead-letter';

/** Redis key layouts shared by workers (writers) and the producer's stats (reader). */
export function rateLimitKey(prefix: string, appId: string, callClass: string): string {
  return `${prefix}:ratelimit:${appId}:${callClass}`;
}
export function batchKey(prefix: string, batchId: string): string {
  return `${prefix}:batch:${batchId}`;
}
