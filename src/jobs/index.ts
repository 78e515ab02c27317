// Public surface of src/jobs: what a takedown is. No bullmq/ioredis here (DESIGN §3).
// Internals left out on purpose: the individual steps (src/jobs/steps/*) and the validation
// helpers inside takedown-request.ts; callers go through runTakedown and the parse/assert pair.
export {
  InvalidPayloadError,
  ExtraRegionError,
  KeySidMismatchError,
  PermanentJobError,
  WrongRegionError,
  RetryableJobError,
  ResumeLaterError,
  VerifyFailedError,
  formatFieldErrors,
} from './errors.js';
export type { FieldError } from './errors.js';
export {
  expiryJobId,
  legacyExpiryJobId,
  legacyKeyJobId,
  maskJobId,
  parseJobId,
  takedownJobId,
  toJobId,
} from './job-id.js';
export { maskStreamKey } from '../logging/mask-stream-key.js';
export { maskStreamKeys } from './mask-stream-keys.js';
export { FINGERPRINT_HEX_CHARS, streamKeyFingerprint } from './stream-key-fingerprint.js';
export type { JobIdKind, ParsedJobId } from './job-id.js';
export {
  BATCH_ID_MAX_CHARS,
  BULL_PRIORITY,
  DEFAULT_PRIORITY,
  FORBIDDEN_TEXT_RE,
  PAYLOAD_VERSION,
  PRIORITY_VALUES,
  REQUEST_FIELDS,
  REASON_MAX_CHARS,
  REQUESTED_BY_MAX_CHARS,
  assertTakedownPayload,
  fromBullPriority,
  isHigherPriority,
  parseTakedownPayload,
  parseTakedownRequest,
  toBullPriority,
} from './takedown-request.js';
export type {
  ParseResult,
  ParseTakedownRequestOptions,
  TakedownPayload,
  TakedownPriority,
  TakedownRequest,
} from './takedown-request.js';
export {
  MAX_REQUEST_IDS,
  TAKEDOWN_STEPS,
  initialProgress,
  parseTakedownProgress,
} from './takedown-progress.js';
export type {
  DisconnectOutcome,
  RevokeResult,
  TakedownProgress,
  TakedownStep,
} from './takedown-progress.js';
export { DEFAULT_VERIFY_MAX_ROUNDS } from './takedown-deps.js';
export type { TakedownDeps } from './takedown-deps.js';
export { runTakedown } from './run-takedown.js';
export { toTakedownResult } from './takedown-result.js';
export type { TakedownOutcome, TakedownResult } from './takedown-result.js';
export {
  describeRegionError,
  extraRegionsOf,
  pendingExtraRegions,
  regionAnswers,
} from './region-answers.js';
export type { RegionAnswer } from './region-answers.js';
export { describeError, toDeadLetterEntry } from './dead-letter.js';
export { deadLetterJobId, isQueueJobId, sourceJobIdOf } from './dead-letter-id.js';
export type {
  DeadLetterEntry,
  DeadLetterError,
  DeadLetterReason,
  ToDeadLetterEntryInput,
} from './dead-letter.js';
export type { TakedownConfirmation, TakedownJobData } from './job-data.js';
export {
  DEAD_LETTER_JOB_NAME,
  DEAD_LETTER_QUEUE,
  TAKEDOWN_JOB_NAME,
  TAKEDOWN_QUEUE,
  batchKey,
  rateLimitKey,
} from './queue-names.js';
export { CALLBACK_URL_MAX_CHARS, checkCallbackUrl, describeCallbackUrl } from './callback-url.js';
export type { AllowedHost } from './callback-url.js';
export {
  AUTOMATED_DECISIONS,
  DECISION_GROUNDS,
  FACTS_MAX_CHARS,
  LEGAL_GROUND_MAX_CHARS,
  MODERATION_FIELDS,
  MODERATION_REQUIRED,
  SOURCE_TYPES,
  TERRITORIES,
} from './moderation.js';
export type {
  AutomatedDecision,
  DecisionGround,
  ModerationField,
  ModerationFields,
  SourceType,
} from './moderation.js';
