import { BENCH_APP_ID, BENCH_CUSTOMER_ID, BENCH_CUSTOMER_SECRET } from './bench-environment.js';

export interface WorkerEnvOptions {
  redisUrl: string;
  prefix: string;
  agoraBaseUrl: string;
  /** Omit for the limiter off (the worker child then gets `limiterOff`). */
  deleteRps?: number;
  queryRps?: number;
  concurrency?: number;
  verify?: boolean;
  appId?: string;
  logLevel?: string;
  extra?: Record<string, string>;
}

/** The env `takedown worker` (or a worker child's loadConfig) is configured with. */
export function workerEnv(o: WorkerEnvOptions): Record<string, string> {
  const env: Record<string, string> = {
    REDIS_URL: o.redisUrl,
    TAKEDOWN_PREFIX: o.prefix,
    AGORA_BASE_URL: o.agoraBaseUrl,
    AGORA_CUSTOMER_ID: BENCH_CUSTOMER_ID,
    AGORA_CUSTOMER_SECRET: BENCH_CUSTOMER_SECRET,
    AGORA_APP_ID: o.appId ?? BENCH_APP_ID,
    TAKEDOWN_VERIFY: String(o.verify ?? false),
    LOG_LEVEL: o.logLevel ?? 'info',
    HTTP_PORT: '0',
    ...o.extra,
  };
  if (o.deleteRps !== undefined) {
    env['AGORA_DELETE_RPS'] = String(o.deleteRps);
    env['AGORA_QUERY_RPS'] = String(o.queryRps ?? o.deleteRps * 2);
  }
  if (o.concurrency !== undefined) env['WORKER_CONCURRENCY'] = String(o.concurrency);
  return env;
}
