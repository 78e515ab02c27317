export {
  CALLBACK_RESULTS,
  createMetrics,
  OTHER_APP_ID,
  QUEUE_STATES,
  RECORDED_OUTCOMES,
} from './create-metrics.js';
export type {
  CallbackResult,
  CreateMetricsOptions,
  QueueCounts,
  QueueCountsReader,
  QueueState,
  RecordedOutcome,
  TakedownMetrics,
} from './create-metrics.js';
export { createQueueCountsReader } from './create-queue-counts-reader.js';
export type { JobCountsSource } from './create-queue-counts-reader.js';
