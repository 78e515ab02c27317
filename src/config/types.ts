import type { Region } from '../agora/types.js';
import type { AGORA_AUTHS, LOG_LEVELS } from './formats.js';

export type AgoraAuthScheme = (typeof AGORA_AUTHS)[number];
export type LogLevel = (typeof LOG_LEVELS)[number];

/**
 * Where Redis is and how to log in. Exactly one mode is in use: Redis Cluster when
 * `clusterNodes` is not empty, Sentinel when `sentinels` is not empty, else the single server
 * at `url` (loadConfig refuses more than one).
 */
export interface RedisSettings {
  readonly url: string;
  /** `host:port` seed nodes. */
  readonly clusterNodes: readonly string[];
  /** `host:port` of the Sentinels. */
  readonly sentinels: readonly string[];
  readonly sentinelName: string;
  readonly sentinelPassword: string | undefined;
  /** Data-node ACL user and password (in single-server mode the URL may carry them instead). */
  readonly username: string | undefined;
  readonly password: string | undefined;
  /** TLS in every mode; a rediss:// URL turns it on too. */
  readonly tls: boolean;
  /** PEM file of the CA; the system CAs when unset. */
  readonly tlsCaFile: string | undefined;
  /**
   * `REDIS_ALLOW_EVICTION`: start although Redis may evict keys (maxmemory-policy other than
   * noeviction), with a warning. Optional so a bare URL's settings need not say it (false).
   */
  readonly allowEviction?: boolean;
}

/** The validated, frozen configuration (DESIGN §4). Paths match the JSON config file's keys. */
export interface ResolvedConfig {
  readonly redis: RedisSettings;
  readonly prefix: string;
  readonly agora: {
    readonly baseUrl: string;
    readonly appId: string | undefined;
    readonly auth: AgoraAuthScheme;
    readonly customerId: string | undefined;
    readonly customerSecret: string | undefined;
    readonly keyRegions: readonly Region[];
    readonly timeoutMs: number;
    readonly deleteRps: number;
    readonly queryRps: number;
    readonly createRps: number;
    /** Longest pause a 429's Retry-After may put on an App ID (and on the job), ms. */
    readonly retryAfterMaxMs: number;
    /** How long a job may wait for its App ID's rate-limit slot in a worker slot before it is parked. */
    readonly rateMaxHoldMs: number;
  };
  readonly worker: {
    readonly concurrency: number;
    readonly shutdownTimeoutMs: number;
    readonly lockDurationMs: number;
    readonly stalledIntervalMs: number;
    readonly maxStalledCount: number;
  };
  readonly takedown: {
    readonly attempts: number;
    readonly backoffMs: number;
    readonly backoffMaxMs: number;
    readonly verify: boolean;
    readonly verifyDelayMs: number;
    readonly verifyRounds: number;
    readonly idempotencyWindowS: number;
    readonly maxRateLimited: number;
    readonly reconcileIntervalMs: number;
  };
  readonly http: { readonly port: number; readonly host: string };
  readonly dashboard: { readonly user: string | undefined; readonly password: string | undefined };
  readonly intake: {
    readonly tokens: readonly string[];
    readonly maxBatch: number;
    readonly bodyLimitBytes: number;
  };
  readonly callbacks: {
    readonly secret: string | undefined;
    readonly allowedHosts: readonly string[];
    readonly timeoutMs: number;
    /** Delay before attempt 1, 2, …, in ms; its length is the number of attempts. */
    readonly retrySchedule: readonly number[];
    readonly concurrency: number;
  };
  readonly audit: { readonly retentionDays: number };
  readonly ncs: { readonly secret: string | undefined; readonly bodyLimitBytes: number };
  readonly log: { readonly level: LogLevel; readonly pretty: boolean };
  /** The redacted form as JSON (JSON.stringify also gives the redacted form). */
  toString(): string;
}

/** One row of the configuration reference (README table). */
export interface ConfigReferenceRow {
  env: string;
  key: string;
  doc: string;
  /** Rendered for people: '—' when unset, 'empty' for an empty list. */
  default: string;
}
