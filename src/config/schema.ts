import type convict from 'convict';
import type { FormatName } from './formats.js';

/** One configuration key: its path (in ResolvedConfig and the JSON file), env var, doc, default. */
export interface ConfigKeySpec {
  readonly key: string;
  readonly env: string;
  readonly doc: string;
  readonly default: unknown;
  readonly format: FormatName;
  /** Never printed: masked by redactConfig and convict's toString, hidden in errors. */
  readonly sensitive?: boolean;
}

/** Every key of DESIGN §4 plus the operational extras. Order = reference/README order. */
// One key per line reads as the reference table.
// prettier-ignore
export const CONFIG_KEYS: readonly ConfigKeySpec[] = [
  // The URL may carry a password, so it is treated as sensitive (redactConfig masks only the password).
  { key: 'redis.url', env: 'REDIS_URL', doc: 'Redis URL of a single server (rediss:// and passwords supported)', default: 'redis://127.0.0.1:6379', format: 'td-redis-url', sensitive: true },
  { key: 'redis.clusterNodes', env: 'REDIS_CLUSTER_NODES', doc: 'Redis Cluster seed nodes (comma list of host:port); cluster mode when set', default: [], format: 'td-host-port-list' },
  { key: 'redis.sentinels', env: 'REDIS_SENTINELS', doc: 'Redis Sentinels (comma list of host:port); Sentinel mode when set', default: [], format: 'td-host-port-list' },
  { key: 'redis.sentinelName', env: 'REDIS_SENTINEL_NAME', doc: 'Name of the master the Sentinels monitor', default: 'mymaster', format: 'td-sentinel-name' },
  { key: 'redis.sentinelPassword', env: 'REDIS_SENTINEL_PASSWORD', doc: 'Password of the Sentinels themselves (never logged)', default: undefined, format: 'td-secret', sensitive: true },
  { key: 'redis.username', env: 'REDIS_USERNAME', doc: 'ACL user of the data nodes (all modes; REDIS_URL may name it instead)', default: undefined, format: 'td-user' },
  { key: 'redis.password', env: 'REDIS_PASSWORD', doc: 'Password of the data nodes (all modes; REDIS_URL may carry it instead; never logged)', default: undefined, format: 'td-secret', sensitive: true },
  { key: 'redis.tls', env: 'REDIS_TLS', doc: 'TLS to Redis in every mode (rediss:// turns it on for REDIS_URL)', default: false, format: 'td-boolean' },
  { key: 'redis.tlsCaFile', env: 'REDIS_TLS_CA_FILE', doc: 'PEM file of the CA that signed the Redis certificates (default: the system CAs)', default: undefined, format: 'td-file' },
  { key: 'redis.allowEviction', env: 'REDIS_ALLOW_EVICTION', doc: 'Run although Redis maxmemory-policy is not noeviction (worker and CLI refuse to start otherwise, exit 2): evicted jobs are lost takedowns', default: false, format: 'td-boolean' },
  { key: 'prefix', env: 'TAKEDOWN_PREFIX', doc: 'BullMQ key prefix; on Redis Cluster it needs a {hash tag}, e.g. {takedown}', default: 'takedown', format: 'td-prefix' },
  { key: 'agora.baseUrl', env: 'AGORA_BASE_URL', doc: 'Agora API origin', default: 'https://api.agora.io', format: 'td-http-url' },
  { key: 'agora.appId', env: 'AGORA_APP_ID', doc: 'App ID used when a request names none', default: undefined, format: 'td-app-id' },
  { key: 'agora.auth', env: 'AGORA_AUTH', doc: 'RESTful API auth scheme: basic or hmac', default: 'basic', format: 'td-agora-auth' },
  { key: 'agora.customerId', env: 'AGORA_CUSTOMER_ID', doc: 'RESTful API customer ID', default: undefined, format: 'td-user' },
  { key: 'agora.customerSecret', env: 'AGORA_CUSTOMER_SECRET', doc: 'RESTful API customer secret (never logged)', default: undefined, format: 'td-secret', sensitive: true },
  { key: 'agora.keyRegions', env: 'AGORA_KEY_REGIONS', doc: 'Extra regions to revoke keys and cut their sessions in, for script-generated keys, after the job region (comma list of na, eu, ap, cn)', default: [], format: 'td-region-list' },
  { key: 'agora.timeoutMs', env: 'AGORA_TIMEOUT_MS', doc: 'Per-request timeout in ms', default: 10000, format: 'td-positive-int' },
  { key: 'agora.deleteRps', env: 'AGORA_DELETE_RPS', doc: 'Delete calls per second per App ID, all workers together', default: 50, format: 'td-positive-int' },
  { key: 'agora.queryRps', env: 'AGORA_QUERY_RPS', doc: 'Query calls per second per App ID, all workers together', default: 100, format: 'td-positive-int' },
  { key: 'agora.createRps', env: 'AGORA_CREATE_RPS', doc: 'Create-key calls per second per App ID, all workers together', default: 50, format: 'td-positive-int' },
  { key: 'agora.retryAfterMaxMs', env: 'AGORA_RETRY_AFTER_MAX_MS', doc: "Longest a 429's Retry-After may pause an App ID (and delay the job), in ms", default: 10000, format: 'td-positive-int' },
  { key: 'agora.rateMaxHoldMs', env: 'AGORA_RATE_MAX_HOLD_MS', doc: "How long a job may hold a worker slot waiting for its App ID's rate-limit slot before it is parked", default: 250, format: 'td-non-negative-int' },
  { key: 'worker.concurrency', env: 'WORKER_CONCURRENCY', doc: 'Jobs in flight per worker process', default: 60, format: 'td-positive-int' },
  { key: 'worker.shutdownTimeoutMs', env: 'WORKER_SHUTDOWN_TIMEOUT_MS', doc: 'Graceful-shutdown deadline in ms: jobs still active then are left to the stalled-job check', default: 30000, format: 'td-positive-int' },
  { key: 'worker.lockDurationMs', env: 'WORKER_LOCK_DURATION_MS', doc: 'BullMQ job lock duration in ms (renewed every half of it)', default: 4000, format: 'td-positive-int' },
  { key: 'worker.stalledIntervalMs', env: 'WORKER_STALLED_INTERVAL_MS', doc: 'How often BullMQ looks for stalled jobs (whose lock expired), in ms', default: 1000, format: 'td-positive-int' },
  { key: 'worker.maxStalledCount', env: 'WORKER_MAX_STALLED_COUNT', doc: 'Stalls a job survives before it fails (and goes to the DLQ)', default: 2, format: 'td-non-negative-int' },
  { key: 'takedown.attempts', env: 'TAKEDOWN_ATTEMPTS', doc: 'Attempts before a takedown goes to the DLQ', default: 12, format: 'td-positive-int' },
  { key: 'takedown.backoffMs', env: 'TAKEDOWN_BACKOFF_MS', doc: 'Backoff base in ms (exponential, full jitter)', default: 1000, format: 'td-positive-int' },
  { key: 'takedown.backoffMaxMs', env: 'TAKEDOWN_BACKOFF_MAX_MS', doc: 'Backoff cap in ms', default: 300000, format: 'td-positive-int' },
  { key: 'takedown.verify', env: 'TAKEDOWN_VERIFY', doc: 'Run the verify step (no session of the key/SID is live afterwards)', default: true, format: 'td-boolean' },
  { key: 'takedown.verifyDelayMs', env: 'TAKEDOWN_VERIFY_DELAY_MS', doc: 'Settle delay before verifying, in ms', default: 2000, format: 'td-non-negative-int' },
  { key: 'takedown.verifyRounds', env: 'TAKEDOWN_VERIFY_ROUNDS', doc: 'Verify rounds (disconnect reconnects, check again) before a retryable error', default: 3, format: 'td-positive-int' },
  { key: 'takedown.idempotencyWindowS', env: 'TAKEDOWN_IDEMPOTENCY_WINDOW_S', doc: 'How long finished takedowns are kept (duplicate detection), in seconds', default: 604800, format: 'td-positive-int' },
  { key: 'takedown.maxRateLimited', env: 'TAKEDOWN_MAX_RATE_LIMITED', doc: 'Most 429-caused delays one job may take without using an attempt', default: 50, format: 'td-non-negative-int' },
  { key: 'takedown.reconcileIntervalMs', env: 'TAKEDOWN_RECONCILE_INTERVAL_MS', doc: 'How often the DLQ reconciler looks for failed jobs missing from the DLQ, in ms', default: 60000, format: 'td-positive-int' },
  { key: 'http.port', env: 'HTTP_PORT', doc: 'Ops HTTP server port (health, metrics, dashboard, intake)', default: 9464, format: 'td-port' },
  { key: 'http.host', env: 'HTTP_HOST', doc: 'Ops HTTP server bind address', default: '127.0.0.1', format: 'td-host' },
  { key: 'dashboard.user', env: 'DASHBOARD_USER', doc: 'Dashboard login user (dashboard off when unset)', default: undefined, format: 'td-user' },
  { key: 'dashboard.password', env: 'DASHBOARD_PASSWORD', doc: 'Dashboard login password', default: undefined, format: 'td-secret', sensitive: true },
  { key: 'intake.tokens', env: 'INTAKE_TOKENS', doc: 'Bearer tokens accepted by the HTTP intake, as name:token (the name is recorded as the requester; a bare token still works); comma list, each token >= 16 characters; intake off when empty', default: [], format: 'td-token-list', sensitive: true },
  { key: 'intake.maxBatch', env: 'INTAKE_MAX_BATCH', doc: 'Most takedowns in one intake request', default: 1000, format: 'td-positive-int' },
  { key: 'intake.bodyLimitBytes', env: 'INTAKE_BODY_LIMIT_BYTES', doc: 'Largest intake request body in bytes', default: 1048576, format: 'td-positive-int' },
  { key: 'callbacks.secret', env: 'CALLBACK_SECRET', doc: 'Standard Webhooks signing secret for outcome callbacks (whsec_ + base64 of 24-64 bytes); while unset the worker sends no callbacks and lists each as failed', default: undefined, format: 'td-webhook-secret', sensitive: true },
  { key: 'callbacks.allowedHosts', env: 'CALLBACK_ALLOWED_HOSTS', doc: 'Hosts callbacks may go to besides loopback (comma list; *.domain wildcards; :port when not 443); https only', default: [], format: 'td-host-list' },
  { key: 'callbacks.timeoutMs', env: 'CALLBACK_TIMEOUT_MS', doc: 'Timeout of one callback delivery, in ms', default: 15000, format: 'td-positive-int' },
  { key: 'callbacks.retrySchedule', env: 'CALLBACK_RETRY_SCHEDULE', doc: 'Delay before each callback delivery attempt (Standard Webhooks schedule, jittered ±10%; the last value caps Retry-After)', default: [0, 5000, 300000, 1800000, 7200000, 18000000, 36000000, 50400000, 72000000, 86400000], format: 'td-duration-list' },
  { key: 'callbacks.concurrency', env: 'CALLBACK_CONCURRENCY', doc: 'Callback deliveries in flight per worker process', default: 10, format: 'td-positive-int' },
  { key: 'audit.retentionDays', env: 'AUDIT_RETENTION_DAYS', doc: 'How long the audit trail of each takedown is kept, in days', default: 400, format: 'td-positive-int' },
  { key: 'ncs.secret', env: 'NCS_SECRET', doc: 'Agora Notifications (NCS) secret: turns on POST /v1/agora/notifications, which verifies every event with it (never logged)', default: undefined, format: 'td-secret', sensitive: true },
  { key: 'ncs.bodyLimitBytes', env: 'NCS_BODY_LIMIT_BYTES', doc: 'Largest Agora notification body in bytes', default: 65536, format: 'td-positive-int' },
  { key: 'log.level', env: 'LOG_LEVEL', doc: 'Log level: fatal, error, warn, info, debug, trace or silent', default: 'info', format: 'td-log-level' },
  { key: 'log.pretty', env: 'LOG_PRETTY', doc: 'Human-readable logs (needs the pino-pretty dev dependency)', default: false, format: 'td-boolean' },
];

/** The nested convict schema built from CONFIG_KEYS. */
export function convictSchema(): convict.Schema<Record<string, unknown>> {
  const root: Record<string, unknown> = {};
  for (const spec of CONFIG_KEYS) {
    const path = spec.key.split('.');
    const leaf = path.pop() as string;
    let node = root;
    for (const part of path) {
      node = (node[part] ??= {}) as Record<string, unknown>;
    }
    node[leaf] = {
      doc: spec.doc,
      env: spec.env,
      default: spec.default,
      format: spec.format,
      sensitive: spec.sensitive === true,
    };
  }
  return root as convict.Schema<Record<string, unknown>>;
}
