// Public surface of src/worker: the BullMQ wiring of takedown jobs (DESIGN §3).
// Internals left out on purpose: failed-job-entry.ts helpers beyond deadLetterFromFailedJob.
export { computeBackoffMs, createBackoffStrategy, findRetryAfterMs } from './backoff.js';
export type { BackoffOptions, BackoffStrategy } from './backoff.js';
export { RedisUnavailableError, checkRedis } from './check-redis.js';
export type { CheckRedisOptions } from './check-redis.js';
export {
  classifyError,
  handleJobError,
  isRateLimitBusy,
  isRateLimitSignal,
  isRetryable,
  isTooManyRequests,
} from './classify-error.js';
export type { ErrorDecision, ErrorFacts, HandleJobErrorContext } from './classify-error.js';
export { createTakedownWorker } from './create-takedown-worker.js';
export { createEnforcementWorker } from './create-enforcement-worker.js';
export type { EnforcementWorker, EnforcementWorkerOptions } from './create-enforcement-worker.js';
export type {
  CloseOptions,
  CloseResult,
  TakedownSettings,
  TakedownWorker,
  TakedownWorkerOptions,
  WorkerSettings,
} from './create-takedown-worker.js';
export { deadLetterRegions } from './dead-letter-regions.js';
export { createDeadLetterWriter } from './dead-letter-writer.js';
// Moved to src/jobs (one mapping for every DLQ reader and writer); re-exported for callers.
export { deadLetterJobId } from '../jobs/index.js';
export type { DeadLetterWriter } from './dead-letter-writer.js';
export { STALLED_REASON, deadLetterFromFailedJob } from './failed-job-entry.js';
export { runWorker } from './main.js';
export type { RunWorkerOptions } from './main.js';
export { createMetricsHooks } from './metrics-hooks.js';
export type { WorkerMetrics } from './metrics-hooks.js';
export { OpsServerStartError } from './ops-server-start-error.js';
export { createProcessor } from './processor.js';
export type { ProcessorOptions, TakedownProcessor } from './processor.js';
export { RateLimitBusyError } from './rate-limit-busy-error.js';
export { withRateLimit } from './rate-limited-api.js';
export type { WithRateLimitOptions } from './rate-limited-api.js';
export { createRateLimiter } from './rate-limiter.js';
export type {
  RateLimiter,
  RateLimiterOptions,
  RateLimitState,
  RateLimits,
} from './rate-limiter.js';
export { createReconciler } from './reconciler.js';
export type { ReconcileSummary, Reconciler, ReconcilerOptions } from './reconciler.js';
export { startOutcomes } from './start-outcomes.js';
export type { StartOutcomesOptions } from './start-outcomes.js';
export { createTakedownOutcomes } from './takedown-outcomes.js';
export type {
  TakedownConfirmation,
  TakedownOutcomes,
  TakedownOutcomesOptions,
} from './takedown-outcomes.js';
export { combineHooks, jobTiming } from './worker-hooks.js';
export type { JobRun, JobRunOutcome, JobTiming, StepContext, WorkerHooks } from './worker-hooks.js';
