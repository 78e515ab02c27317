// Public surface of src/producer. Internals left out on purpose: the shared context, the
// pipelined state reader and the per-operation functions (callers go through createProducer).
export { DEFAULT_CONNECT_TIMEOUT_MS, createProducer } from './create-producer.js';
export type { Producer, ProducerOptions } from './create-producer.js';
export type { ListDeadOptions, PurgeResult, RedriveResult } from './dead-letters.js';
export type { AddRuleResult } from './enforcement.js';
export { newBatchId } from './enqueue.js';
export type { EnqueueOptions } from './enqueue.js';
export type { EnqueueResult, MergeChange } from './enqueue-result.js';
export { DEFAULT_CHUNK_SIZE } from './enqueue-many.js';
export type {
  BatchCounts,
  BatchItemResult,
  BatchProgress,
  EnqueueManyOptions,
  EnqueueManyResult,
} from './enqueue-many.js';
export { RedisUnavailableError, ValidationError, isConnectionError } from './errors.js';
// createProducer throws it; defined beside the check in src/redis.
export { EvictionPolicyError } from '../redis/index.js';
export type {
  CancelExpiryResult,
  ExpiryRef,
  ScheduleExpiryResult,
  ScheduledExpiry,
} from './expiry.js';
export type { TakedownState } from './job-state.js';
export type { ProducerLogger } from './producer-logger.js';
export { redactRedisUrl } from './redis-connection.js';
export type { LimiterState, ProducerStats, QueueCounts } from './stats.js';
export type {
  BatchStateCounts,
  BatchStatus,
  JobStatus,
  JobStatusError,
  StatusQuery,
} from './status.js';
