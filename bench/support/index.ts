// What the scenarios use from bench/support. Entry scripts (worker-child.ts, profile-summary.ts)
// are run, not imported.
export {
  BENCH_APP_ID,
  BENCH_CUSTOMER_ID,
  BENCH_CUSTOMER_SECRET,
  BENCH_REGION,
  startBenchEnvironment,
} from './bench-environment.js';
export type { BenchEnvironment } from './bench-environment.js';
export type { BenchOptions } from './bench-options.js';
export { BIN, REPO_ROOT, cleanEnv, runCli } from './cli-process.js';
export type { CliRun } from './cli-process.js';
export { formatTable } from './format-table.js';
export { pausedQueue } from './paused-queue.js';
export { describeTarget, failedRow, makeRow, meets } from './row.js';
export type { Row, Target } from './row.js';
export { max, mean, median, mib, min, percentile, perSecond, round } from './stats.js';
export { requestsFor, syntheticRequests } from './takedown-requests.js';
export type { BenchRequest } from './takedown-requests.js';
export { waitDrained } from './wait-drained.js';
export type { DrainCounts } from './wait-drained.js';
export type { WorkerKind } from './worker-child-protocol.js';
export { workerEnv } from './worker-env.js';
export type { WorkerEnvOptions } from './worker-env.js';
export { startWorkerHost } from './worker-host.js';
export type { WorkerHost } from './worker-host.js';
export { deleteRates } from './delete-rate.js';
export type { DeleteRate } from './delete-rate.js';
export { redisCommandCount } from './redis-commands.js';
export { waitForCuts } from './time-to-cut.js';
export { BENCH_MODERATION, measureAuditMemory, seedAuditRecords } from './audit-records.js';
export type { AuditMemory, SeedAuditOptions } from './audit-records.js';
export { benchProducer } from './bench-producer.js';
export { DEFAULT_CONCURRENCY } from './default-concurrency.js';
