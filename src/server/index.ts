export { createOpsServer } from './create-ops-server.js';
export type {
  MetricsRegistryLike,
  OpsServer,
  OpsServerOptions,
  Readiness,
} from './create-ops-server.js';
export { createReadinessCheck } from './create-readiness-check.js';
export type { ReadinessCheckOptions } from './create-readiness-check.js';
export { DASHBOARD_PATH, DashboardRedriveError } from './register-dashboard.js';
export type { DashboardOptions, RedriveFn } from './register-dashboard.js';
export type { IntakeErrorBody, IntakeOptions } from './intake-routes.js';
export type { OpsLogger } from './ops-logger.js';
export type {
  IntakeBatchItemResult,
  IntakeBatchResult,
  IntakeEnqueueResult,
  IntakeFieldError,
  ProducerLike,
} from './producer-like.js';
export { constantTimeEqual, createSecretMatcher } from './constant-time-equal.js';
export { NOTIFICATIONS_PATH, registerNotificationRoutes } from './notification-routes.js';
export type { NotificationIntakeOptions, NotificationSink } from './notification-routes.js';
export type { RulesLike } from './rule-routes.js';
