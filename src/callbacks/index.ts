// Public surface of src/callbacks: signed outcome callbacks (Standard Webhooks) on their own queue.
export { callbackDelayMs, parseRetryAfter } from './callback-backoff.js';
export { CallbackRetryError } from './callback-errors.js';
export { completedBody, confirmedBody, deadLetteredBody } from './callback-event.js';
export type { CallbackBody } from './callback-event.js';
export {
  CALLBACK_EVENT_TYPES,
  CALLBACK_JOB_NAME,
  CALLBACK_QUEUE,
  webhookIdOf,
} from './callback-job.js';
export type { CallbackEventType, CallbackJobData } from './callback-job.js';
export { CALLBACK_RETENTION_S, createCallbackSender } from './callback-sender.js';
export type { CallbackSender, CallbackSenderOptions, CallbackToSend } from './callback-sender.js';
export { createCallbackWorker } from './create-callback-worker.js';
export type { CallbackAttemptResult, CallbackWorkerOptions } from './create-callback-worker.js';
export { deliverCallback } from './deliver-callback.js';
export type { DeliverOptions, DeliveryAttempt } from './deliver-callback.js';
export { createDisabledUrls } from './disabled-urls.js';
export type { DisabledUrls } from './disabled-urls.js';
export { listCallbacks } from './list-callbacks.js';
export type { CallbackListEntry, CallbackState } from './list-callbacks.js';
