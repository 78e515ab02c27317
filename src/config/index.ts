export { ConfigError, type ConfigProblem } from './config-error.js';
export { configReference } from './config-reference.js';
export { AGORA_AUTHS, LOG_LEVELS, MIN_TOKEN_LENGTH } from './formats.js';
export { hashTagOf } from './hash-tag.js';
export { loadConfig, type LoadConfigOptions } from './load-config.js';
export { REDACTED, redactConfig, redactRedisUrl } from './redact-config.js';
export { CONFIG_KEYS, type ConfigKeySpec } from './schema.js';
export type {
  AgoraAuthScheme,
  ConfigReferenceRow,
  LogLevel,
  RedisSettings,
  ResolvedConfig,
} from './types.js';
export { parseAllowedHost, type AllowedHost } from './allowed-host.js';
export { parseDuration } from './duration.js';
export { intakeRequester, splitIntakeToken } from './intake-token.js';
