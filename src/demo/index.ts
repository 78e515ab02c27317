// Public surface of src/demo: `takedown demo` end to end. Internals left out on purpose: the
// scenario, the live view, the summary's building blocks and the cleanup helpers.
export { DEMO_SETTINGS, runDemo } from './run-demo.js';
export type { DemoReport, RunDemoOptions } from './run-demo.js';
export { GET_REDIS_HELP, LOCAL_REDIS, RedisNotFoundError, findRedis } from './find-redis.js';
export type { FindRedisOptions } from './find-redis.js';
export { pingRedis } from './ping-redis.js';
export { RedisBinaryMissingError, startThrowawayRedis } from './throwaway-redis.js';
export type { DemoRedis, StartThrowawayRedisOptions } from './throwaway-redis.js';
export type { DemoSummary } from './summary.js';
