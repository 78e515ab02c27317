import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { CallClass, CallInfo } from '../agora/types.js';
import type { TakedownStep } from '../jobs/takedown-progress.js';
import type { TakedownOutcome } from '../jobs/takedown-result.js';

/**
 * Prometheus instruments of a takedown worker process, and the small hooks the worker calls.
 *
 * Label values are bounded on purpose: op, step, outcome, class, queue and state come from fixed
 * lists; HTTP status is a 3-digit code (or 0 = no response); app_id is bounded by the operator's
 * Agora projects, and capped at `maxAppIds` distinct values (the rest count as `other`) because
 * App IDs arrive in requests. SIDs, stream keys, channels and job ids are never labels.
 */

/** A finished takedown's outcome (the job's result), or `dead-lettered` when it ended in the DLQ. */
export type RecordedOutcome = TakedownOutcome | 'dead-lettered';
export const RECORDED_OUTCOMES: readonly RecordedOutcome[] = [
  'taken-down',
  'already-offline',
  'nothing-found',
  'dead-lettered',
];

export const CALLBACK_RESULTS = ['delivered', 'retry', 'failed', 'disabled'] as const;
export type CallbackResult = (typeof CALLBACK_RESULTS)[number];

/** Job states exported per queue by `takedown_queue_jobs` (BullMQ getJobCounts names). */
export const QUEUE_STATES = [
  'waiting',
  'active',
  'delayed',
  'prioritized',
  'failed',
  'completed',
] as const;
export type QueueState = (typeof QUEUE_STATES)[number];

/** Job counts per state of both queues, as BullMQ's `queue.getJobCounts(...QUEUE_STATES)` answers them. */
export interface QueueCounts {
  takedown: Partial<Record<QueueState, number>>;
  dlq: Partial<Record<QueueState, number>>;
}

export type QueueCountsReader = () => Promise<QueueCounts>;

/** App ID label used once `maxAppIds` distinct App IDs have been seen. */
export const OTHER_APP_ID = 'other';

export interface CreateMetricsOptions {
  /** Registry to register on; a fresh one by default (tests and embedders keep theirs apart). */
  registry?: Registry;
  /** Register prom-client's default process metrics on the registry. @defaultValue true */
  defaultMetrics?: boolean;
  /** Distinct `app_id` label values kept before the rest are counted as `other`. @defaultValue 100 */
  maxAppIds?: number;
  /** How long a scrape waits for the queue counts before it leaves those gauges empty. @defaultValue 2000 */
  queueCountsTimeoutMs?: number;
}

export interface TakedownMetrics {
  readonly registry: Registry;
  /** One finished Agora HTTP exchange (the client's `onCall` hook). */
  recordCall(info: CallInfo): void;
  /** One step run of one attempt, however it ended. */
  recordStep(step: TakedownStep, ms: number): void;
  /** A takedown reached its end: a success outcome, or the DLQ. `durationMs` = enqueue (or due time) → finished. */
  recordOutcome(outcome: RecordedOutcome, durationMs: number): void;
  /** Time a call waited in the per-App-ID rate limiter before it was sent. */
  recordRateLimitWait(appId: string, cls: CallClass, ms: number): void;
  /** Sessions that verify found live (reconnects that slipped in) and cut. */
  recordReconnectsBlocked(n: number): void;
  /**
   * One callback delivery attempt: `delivered` (2xx), `retry` (will be tried again), `failed`
   * (given up: attempts exhausted, refused URL, no secret) or `disabled` (410 Gone, or a URL
   * already disabled).
   */
  recordCallback(result: CallbackResult): void;
  /** One Agora notification: its event (or unknown / other-product) and what came of it. */
  recordNotification(event: string, result: string): void;
  /** An enforcement rule matched a push, by the rule's target and where (event or sweep). */
  recordRuleMatch(target: string, source: string): void;
  /** A revoked key pushed again (should be impossible). */
  recordBreach(): void;
  /** Time from an Agora event to the disconnect of the takedown it triggered. */
  recordEnforcementCut(ms: number): void;
  /** Sets how the queue gauges are read at scrape time (replaces any earlier reader). */
  collectQueueCounts(reader: QueueCountsReader): void;
}

const JOB_DURATION_BUCKETS = [0.25, 0.5, 1, 2, 3, 5, 10, 30, 60, 120, 300, 900, 1800, 3600];
const STEP_DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
const REQUEST_DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const WAIT_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

const KNOWN_OPS: ReadonlySet<string> = new Set([
  'create-key',
  'query-key',
  'delete-key',
  'list-streams',
  'query-stream',
  'disconnect',
]);
/** Steps that do work ('done' is the cursor's end mark, not a step that runs). */
const RUN_STEPS = ['resolve', 'revoke-key', 'disconnect', 'extra-regions', 'verify'] as const;
const KNOWN_STEPS: ReadonlySet<string> = new Set<string>(RUN_STEPS);
const KNOWN_CLASSES: ReadonlySet<string> = new Set(['create', 'delete', 'query']);
const KNOWN_EVENTS: ReadonlySet<string> = new Set([
  'live_stream_connected',
  'live_stream_disconnected',
  'live_stream_aborted',
  'live_profile_updated',
  'unknown',
  'other-product',
]);
const KNOWN_RESULTS: ReadonlySet<string> = new Set([
  'unauthorized',
  'invalid',
  'duplicate',
  'ignored',
  'rule-match',
  'breach',
  'no-match',
  'stale',
  'confirmed',
  'pending',
  'no-action',
]);
const KNOWN_TARGETS: ReadonlySet<string> = new Set(['channel', 'uid', 'channel+uid', 'key']);
const KNOWN_SOURCES: ReadonlySet<string> = new Set(['event', 'sweep']);

/** Milliseconds → seconds; negative or non-finite values (clock skew, bugs) count as 0. */
function toSeconds(ms: number): number {
  return Number.isFinite(ms) && ms > 0 ? ms / 1000 : 0;
}

/** A 3-digit HTTP status, or '0' for "no response" and anything out of range. */
function statusLabel(status: number): string {
  return Number.isInteger(status) && status >= 100 && status <= 599 ? String(status) : '0';
}

/** Keeps the label set finite even if a caller passes a value outside the typed lists. */
function bounded(value: string, known: ReadonlySet<string>): string {
  return known.has(value) ? value : 'unknown';
}

/** Rejects after `ms`; the timer does not keep the process alive. */
function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
    timer.unref();
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export function createMetrics(options: CreateMetricsOptions = {}): TakedownMetrics {
  const registry = options.registry ?? new Registry();
  const maxAppIds = options.maxAppIds ?? 100;
  const queueCountsTimeoutMs = options.queueCountsTimeoutMs ?? 2000;
  const registers = [registry];

  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry });

  const jobsTotal = new Counter({
    name: 'takedown_jobs_total',
    help: 'Takedowns finished, by outcome (dead-lettered = ended in takedown-dlq).',
    labelNames: ['outcome'] as const,
    registers,
  });
  const jobDuration = new Histogram({
    name: 'takedown_job_duration_seconds',
    help: 'Time from enqueue (or the due time of a scheduled takedown) to the final outcome.',
    buckets: JOB_DURATION_BUCKETS,
    registers,
  });
  const stepDuration = new Histogram({
    name: 'takedown_step_duration_seconds',
    help: 'Duration of one run of a takedown step (resolve, revoke-key, disconnect, verify).',
    labelNames: ['step'] as const,
    buckets: STEP_DURATION_BUCKETS,
    registers,
  });
  const requestsTotal = new Counter({
    name: 'agora_requests_total',
    help: 'Agora Media Gateway HTTP requests, by operation and HTTP status (0 = no response).',
    labelNames: ['op', 'status'] as const,
    registers,
  });
  const requestDuration = new Histogram({
    name: 'agora_request_duration_seconds',
    help: 'Agora Media Gateway HTTP request duration, by operation.',
    labelNames: ['op'] as const,
    buckets: REQUEST_DURATION_BUCKETS,
    registers,
  });
  const rateLimitWait = new Histogram({
    name: 'takedown_ratelimit_wait_seconds',
    help: `Time a call waited in the per-App-ID rate limiter, by App ID and call class (App IDs beyond ${maxAppIds} count as "${OTHER_APP_ID}").`,
    labelNames: ['app_id', 'class'] as const,
    buckets: WAIT_BUCKETS,
    registers,
  });
  const reconnectsBlocked = new Counter({
    name: 'takedown_reconnects_blocked_total',
    help: 'Sessions found live by the verify step (a reconnect that slipped in) and disconnected.',
    registers,
  });

  const callbacksTotal = new Counter({
    name: 'takedown_callback_deliveries_total',
    help: 'Outcome callback delivery attempts, by result (delivered, retry, failed = given up, disabled = 410 Gone).',
    labelNames: ['result'] as const,
    registers,
  });
  const notifications = new Counter({
    name: 'takedown_notifications_total',
    help: 'Agora notifications, by event (unknown = event type not known, other-product) and result (unauthorized, invalid, duplicate, ignored at the intake; rule-match, breach, no-match, stale, confirmed, pending, no-action once processed).',
    labelNames: ['event', 'result'] as const,
    registers,
  });
  const ruleMatches = new Counter({
    name: 'takedown_rule_matches_total',
    help: 'Pushes an enforcement rule matched, by rule target (channel, uid, channel+uid, key) and source (event, sweep).',
    labelNames: ['target', 'source'] as const,
    registers,
  });
  const breaches = new Counter({
    name: 'takedown_enforcement_breaches_total',
    help: 'live_stream_connected events for a key a completed takedown revoked (should stay 0); each enqueues an urgent takedown.',
    registers,
  });
  const enforcementCut = new Histogram({
    name: 'takedown_enforcement_cut_seconds',
    help: 'Time from an Agora event arriving to the disconnect of the urgent takedown it triggered (rule match or breach).',
    buckets: STEP_DURATION_BUCKETS,
    registers,
  });

  const countErrors = new Counter({
    name: 'takedown_queue_counts_errors_total',
    help: 'Scrapes whose queue counts could not be read from Redis (the queue gauges were left empty).',
    registers,
    // Joins this scrape's read, so a failure shows in the same scrape, not the next one.
    async collect() {
      await readCounts();
    },
  });

  // The queue gauges and the error counter share one read per scrape: the first to collect
  // starts it, the others join the same promise (prom-client collects a scrape concurrently).
  let reader: QueueCountsReader | undefined;
  let inFlight: Promise<QueueCounts | undefined> | undefined;
  const readCounts = (): Promise<QueueCounts | undefined> => {
    const read = reader;
    if (!read) return Promise.resolve(undefined);
    inFlight ??= withTimeout(Promise.resolve().then(read), queueCountsTimeoutMs, 'queue counts')
      .catch(() => {
        countErrors.inc();
        return undefined;
      })
      .finally(() => {
        inFlight = undefined;
      });
    return inFlight;
  };

  new Gauge({
    name: 'takedown_queue_jobs',
    help: 'Jobs per queue (takedown, takedown-dlq) and state, read from Redis at scrape time.',
    labelNames: ['queue', 'state'] as const,
    registers,
    async collect() {
      // Stale numbers would hide an outage, so a failed read leaves the gauge without samples.
      this.reset();
      const counts = await readCounts();
      if (!counts) return;
      for (const [queue, byState] of [
        ['takedown', counts.takedown],
        ['takedown-dlq', counts.dlq],
      ] as const) {
        for (const state of QUEUE_STATES) this.set({ queue, state }, byState[state] ?? 0);
      }
    },
  });
  new Gauge({
    name: 'takedown_dlq_jobs',
    help: 'Dead-lettered takedowns waiting for an operator (entries in takedown-dlq, all states); NaN when Redis could not be read.',
    registers,
    async collect() {
      const counts = await readCounts();
      // An unlabelled gauge always has a sample; NaN says "unknown" where 0 would claim an empty DLQ.
      if (!counts) {
        this.set(Number.NaN);
        return;
      }
      let total = 0;
      for (const state of QUEUE_STATES) total += counts.dlq[state] ?? 0;
      this.set(total);
    },
  });

  // Series that exist from the start, so rate()/increase() and absent-series alerts work from the first scrape.
  for (const outcome of RECORDED_OUTCOMES) jobsTotal.inc({ outcome }, 0);
  for (const step of RUN_STEPS) stepDuration.zero({ step });
  for (const result of CALLBACK_RESULTS) callbacksTotal.inc({ result }, 0);
  breaches.inc(0);

  const appIds = new Set<string>();
  const appIdLabel = (appId: string): string => {
    if (appIds.has(appId)) return appId;
    if (appIds.size >= maxAppIds) return OTHER_APP_ID;
    appIds.add(appId);
    return appId;
  };

  return {
    registry,
    recordCall(info) {
      const op = bounded(info.op, KNOWN_OPS);
      requestsTotal.inc({ op, status: statusLabel(info.status) });
      requestDuration.observe({ op }, toSeconds(info.durationMs));
    },
    recordCallback(result) {
      callbacksTotal.inc({ result: CALLBACK_RESULTS.includes(result) ? result : 'failed' });
    },
    recordStep(step, ms) {
      stepDuration.observe({ step: bounded(step, KNOWN_STEPS) }, toSeconds(ms));
    },
    recordOutcome(outcome, durationMs) {
      jobsTotal.inc({ outcome: RECORDED_OUTCOMES.includes(outcome) ? outcome : 'unknown' });
      jobDuration.observe(toSeconds(durationMs));
    },
    recordRateLimitWait(appId, cls, ms) {
      rateLimitWait.observe(
        { app_id: appIdLabel(appId), class: bounded(cls, KNOWN_CLASSES) },
        toSeconds(ms),
      );
    },
    recordReconnectsBlocked(n) {
      if (Number.isFinite(n) && n > 0) reconnectsBlocked.inc(n);
    },
    recordNotification(event, result) {
      notifications.inc({
        event: bounded(event, KNOWN_EVENTS),
        result: bounded(result, KNOWN_RESULTS),
      });
    },
    recordRuleMatch(target, source) {
      ruleMatches.inc({
        target: bounded(target, KNOWN_TARGETS),
        source: bounded(source, KNOWN_SOURCES),
      });
    },
    recordBreach() {
      breaches.inc();
    },
    recordEnforcementCut(ms) {
      enforcementCut.observe(toSeconds(ms));
    },
    collectQueueCounts(fn) {
      reader = fn;
    },
  };
}
