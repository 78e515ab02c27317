export {
  ABORT_KEY_INVALID,
  EVENT_LABELS,
  EVENT_NAMES,
  MEDIA_GATEWAY_PRODUCT_ID,
  parseAgoraNotification,
} from './agora-notification.js';
export type {
  EventLabel,
  EventName,
  ParsedNotification,
  StreamEvent,
} from './agora-notification.js';
export {
  SIGNATURE_V1_HEADER,
  SIGNATURE_V2_HEADER,
  signAgoraNotification,
  verifyAgoraSignature,
} from './agora-signature.js';
export type { AgoraSignatures } from './agora-signature.js';
export {
  BREACH_REQUESTER,
  RULE_REQUESTER,
  createEnforcementProcessor,
  onTakedownCompleted,
} from './create-enforcement-processor.js';
export type {
  EnforcementDeps,
  EnforcementMetricsLike,
  EnforcementProducer,
  EventResult,
} from './create-enforcement-processor.js';
export { createEnforcementIndex } from './enforcement-index.js';
export type { EnforcementIndex } from './enforcement-index.js';
export {
  ENFORCEMENT_JOB_OPTIONS,
  ENFORCEMENT_QUEUE,
  EVENT_JOB_NAME,
  SWEEP_JOB_NAME,
  eventJobId,
  sweepJobId,
} from './enforcement-queue.js';
export type { EnforcementJobData, SweepJobData } from './enforcement-queue.js';
export { recordConfirmation, toConfirmation } from './record-confirmation.js';
export type { ConfirmationListener, RecordConfirmationResult } from './record-confirmation.js';
