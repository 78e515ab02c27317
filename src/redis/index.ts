// Public surface of src/redis: the one Redis connection factory (single server, Cluster,
// Sentinel) and the helpers that must see every master.
export {
  EvictionPolicyError,
  NO_EVICTION,
  checkEvictionPolicy,
  type CheckEvictionPolicyOptions,
} from './check-eviction-policy.js';
export { connectRedis, type ConnectRedisOptions } from './connect-redis.js';
export { explainConnectError } from './explain-connect-error.js';
export {
  createRedisConnection,
  type RedisClient,
  type RedisConnectionOptions,
  type RedisRole,
} from './create-redis-connection.js';
export {
  describeRedis,
  parseHostPort,
  redisModeOf,
  toRedisSettings,
  usesTls,
  type RedisMode,
  type RedisSettings,
  type RedisTarget,
} from './redis-settings.js';
export { keyHolders, scanKeys } from './scan-keys.js';
export { dropRedis } from './drop-redis.js';
export { quitRedis } from './quit-redis.js';
export { settleWithin } from './settle-within.js';
