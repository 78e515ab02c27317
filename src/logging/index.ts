export { createLogger, REDACT_PATHS, type LoggerOptions } from './create-logger.js';
export { maskSecretsInText } from './sanitize.js';
export { maskStreamKey } from './mask-stream-key.js';
export type { Logger } from 'pino';
