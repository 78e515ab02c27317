import {
  TAKEDOWN_JOB_NAME,
  expiryJobId,
  legacyExpiryJobId,
  maskJobId,
  parseTakedownRequest,
} from '../jobs/index.js';
import type { FieldError, TakedownPayload } from '../jobs/index.js';
import { ValidationError } from './errors.js';
import { newEnqueueToken, takedownJobOptions, toJobData } from './enqueue.js';
import { dueAtFromDelayedScore, readJobState } from './job-state.js';
import type { TakedownState } from './job-state.js';
import { readOwnership } from './ownership.js';
import type { ProducerContext } from './producer-context.js';

export type ScheduleExpiryResult =
  | { jobId: string; status: 'scheduled' | 'rescheduled'; /** ISO 8601 */ dueAt: string }
  /**
   * The expiry takedown of this key has started (it is active, or retrying / parked between
   * attempts); it was left alone and runs to the end. `dueAt`: when it was scheduled for.
   */
  | { jobId: string; status: 'running'; state: TakedownState; dueAt?: string };

export interface CancelExpiryResult {
  jobId: string;
  /** `running`: it has started and runs to the end; `too-late`: it has already run. */
  status: 'cancelled' | 'not-found' | 'running' | 'too-late';
  /** The job's state when it was not cancelled. */
  state?: TakedownState;
}

export interface ScheduledExpiry {
  jobId: string;
  streamKey: string;
  region: string;
  appId: string;
  sid?: string;
  /** ISO 8601: when it was scheduled for (a started one keeps it, retries or not). */
  dueAt: string;
  /** Only for one that has started: its state now (`active`, or `delayed` between attempts). */
  state?: TakedownState;
}

export interface ExpiryRef {
  /** Defaults to the configured App ID. */
  appId?: string;
  streamKey: string;
}

function expiryPayload(ctx: ProducerContext, request: unknown): TakedownPayload {
  const parsed = parseTakedownRequest(request, ctx.parseOptions);
  const errors: FieldError[] = parsed.ok ? [] : [...parsed.errors];
  if (parsed.ok ? parsed.value.streamKey === undefined : !hasStreamKey(request)) {
    errors.push({
      field: 'streamKey',
      message: 'streamKey is required for a scheduled expiry (the key is what expires)',
    });
  }
  if (!parsed.ok || errors.length > 0) {
    throw new ValidationError(errors, { subject: 'expiry request' });
  }
  return parsed.value;
}

function hasStreamKey(request: unknown): boolean {
  if (typeof request !== 'object' || request === null || !Object.hasOwn(request, 'streamKey')) {
    return false;
  }
  const value = (request as { streamKey?: unknown }).streamKey;
  return value !== undefined && value !== null && value !== '';
}

function checkDueDate(at: Date, now: number): number {
  if (!(at instanceof Date) || Number.isNaN(at.getTime())) {
    throw new ValidationError([{ field: 'at', message: 'at must be a valid date and time' }], {
      subject: 'expiry time',
    });
  }
  const delay = at.getTime() - now;
  if (delay <= 0) {
    throw new ValidationError(
      [
        {
          field: 'at',
          message: `at must be in the future; got ${at.toISOString()} (now is ${new Date(now).toISOString()})`,
        },
      ],
      { subject: 'expiry time' },
    );
  }
  return delay;
}

/** Same takedown apart from when it was requested: a reschedule can keep the existing job. */
function samePayload(a: unknown, b: TakedownPayload): boolean {
  if (typeof a !== 'object' || a === null) return false;
  const { requestedAt: _a, ...left } = a as TakedownPayload;
  const { requestedAt: _b, ...right } = b;
  return JSON.stringify(sortKeys(left)) === JSON.stringify(sortKeys(right));
}

function sortKeys(obj: object): Record<string, unknown> {
  return Object.fromEntries(Object.entries(obj).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)));
}

const MAX_ROUNDS = 4;

/** Job hash field holding the time an expiry was scheduled for (ms epoch); BullMQ ignores it. */
const DUE_AT_FIELD = 'tdDueAt';
/** A delayed score this far from the scheduled time means the worker moved it (retry, park). */
const DUE_TOLERANCE_MS = 1000;

interface ExpiryJob {
  state: TakedownState | 'unknown';
  /** Anything happened to it besides waiting for its time (see isStarted). */
  started: boolean;
  /** When it was scheduled for (ms epoch), when known. */
  scheduledAt: number | undefined;
}

/**
 * Whether an expiry has started: it is (or was) active — attempts started or made, progress
 * persisted — or its delay is no longer its due time (a backoff or a park moved it). BullMQ puts
 * retrying and parked jobs in `delayed` too, so "delayed" alone says nothing.
 */
export function isStarted(fields: {
  state: TakedownState | 'unknown';
  attemptsStarted: number;
  attemptsMade: number;
  hasProgress: boolean;
  dueAt: number | undefined;
  scheduledAt: number | undefined;
}): boolean {
  if (fields.state === 'active') return true;
  if (fields.attemptsStarted > 0 || fields.attemptsMade > 0 || fields.hasProgress) return true;
  return (
    fields.state === 'delayed' &&
    fields.dueAt !== undefined &&
    fields.scheduledAt !== undefined &&
    Math.abs(fields.dueAt - fields.scheduledAt) > DUE_TOLERANCE_MS
  );
}

function toNumber(raw: string | null | undefined): number | undefined {
  if (raw === null || raw === undefined || raw === '') return undefined;
  const n = Number(raw);
  return Number.isFinite(n) ? n : undefined;
}

function hasProgress(rawData: string | null | undefined): boolean {
  if (typeof rawData !== 'string') return false;
  try {
    const data = JSON.parse(rawData) as { progress?: unknown };
    return data.progress !== undefined;
  } catch {
    return false;
  }
}

async function readExpiryJob(ctx: ProducerContext, jobId: string): Promise<ExpiryJob> {
  const [info, [ats, atm, data, scheduled]] = await Promise.all([
    readJobState(ctx, jobId),
    ctx.client.hmget(ctx.queue.toKey(jobId), 'ats', 'atm', 'data', DUE_AT_FIELD),
  ]);
  const scheduledAt = toNumber(scheduled);
  const started = isStarted({
    state: info.state,
    attemptsStarted: toNumber(ats) ?? 0,
    attemptsMade: toNumber(atm) ?? 0,
    hasProgress: hasProgress(data),
    dueAt: info.dueAt,
    scheduledAt,
  });
  return { state: info.state, started, scheduledAt };
}

function runningResult(jobId: string, job: ExpiryJob): ScheduleExpiryResult {
  const state: TakedownState = job.state === 'unknown' ? 'active' : job.state;
  return job.scheduledAt === undefined
    ? { jobId, status: 'running', state }
    : { jobId, status: 'running', state, dueAt: new Date(job.scheduledAt).toISOString() };
}

async function recordDueAt(ctx: ProducerContext, jobId: string, at: Date): Promise<void> {
  await ctx.client.hset(ctx.queue.toKey(jobId), DUE_AT_FIELD, String(at.getTime()));
}

/**
 * Schedules the takedown of `request.streamKey` at `at`: a delayed job under the key's expiry id.
 * Scheduling a key again moves its pending expiry (changeDelay; a changed request replaces it);
 * one that already ran (completed or failed) is replaced by a fresh one; one running now is left
 * alone and reported `too-late`.
 */
export async function scheduleExpiry(
  ctx: ProducerContext,
  request: unknown,
  at: Date,
): Promise<ScheduleExpiryResult> {
  checkDueDate(at, Date.now());
  const payload = expiryPayload(ctx, request);
  const ref = { appId: payload.appId, streamKey: payload.streamKey as string };
  const jobId = expiryJobId(ref);
  const dueAt = at.toISOString();
  // An expiry an older version scheduled under the key-bearing id is replaced, not doubled.
  let replaced: 'scheduled' | 'rescheduled' | undefined = await removePendingLegacyExpiry(
    ctx,
    legacyExpiryJobId(ref),
  );

  for (let round = 0; round < MAX_ROUNDS; round++) {
    // Recomputed each round: time passes while we talk to Redis.
    const delay = Math.max(1, at.getTime() - Date.now());
    const token = newEnqueueToken();
    await ctx.queue.add(
      TAKEDOWN_JOB_NAME,
      toJobData(token, payload),
      takedownJobOptions(ctx, jobId, payload, delay),
    );
    const [owner] = await readOwnership(ctx.client, [ctx.queue.toKey(jobId)], token);
    if (owner === 'own') {
      await recordDueAt(ctx, jobId, at);
      return { jobId, status: replaced ?? 'scheduled', dueAt };
    }
    const job = await readExpiryJob(ctx, jobId);
    const { state } = job;
    if (state === 'unknown') continue; // removed meanwhile: the next add is ours
    // Started (running, retrying, parked): never moved or replaced; it runs to the end.
    if (job.started && state !== 'completed' && state !== 'failed' && state !== 'dead-lettered') {
      return runningResult(jobId, job);
    }

    if (state === 'delayed') {
      const existing = await ctx.queue.getJob(jobId);
      if (existing !== undefined && samePayload(existing.data.payload, payload)) {
        try {
          await existing.changeDelay(delay);
          await recordDueAt(ctx, jobId, at);
          return { jobId, status: 'rescheduled', dueAt };
        } catch {
          continue; // promoted to waiting just now; look again
        }
      }
    }
    // Pending with another request, or finished: replace it. remove() answers 0 when a worker
    // holds the job's lock, i.e. it started after we looked.
    replaced ??= state === 'delayed' || state === 'waiting' ? 'rescheduled' : 'scheduled';
    const removed = await ctx.queue.remove(jobId);
    if (removed === 0) return runningResult(jobId, { ...job, state: 'active' });
  }
  throw new Error(`could not schedule ${jobId}: it kept changing under us; try again`);
}

/** 'rescheduled' when a pending, not started expiry under the old id was removed. */
async function removePendingLegacyExpiry(
  ctx: ProducerContext,
  legacyId: string,
): Promise<'rescheduled' | undefined> {
  const job = await readExpiryJob(ctx, legacyId);
  if ((job.state !== 'delayed' && job.state !== 'waiting') || job.started) return undefined;
  return (await ctx.queue.remove(legacyId)) === 1 ? 'rescheduled' : undefined;
}

function expiryRef(ctx: ProducerContext, ref: ExpiryRef): { appId: string; streamKey: string } {
  const errors: FieldError[] = [];
  const appId = ref.appId ?? ctx.defaultAppId;
  if (appId === undefined || appId === '') {
    errors.push({
      field: 'appId',
      message: 'appId is required (no default App ID is configured: set AGORA_APP_ID)',
    });
  }
  if (typeof ref.streamKey !== 'string' || ref.streamKey === '') {
    errors.push({
      field: 'streamKey',
      message: 'streamKey is required: the key whose expiry to cancel',
    });
  }
  if (errors.length > 0 || appId === undefined) {
    throw new ValidationError(errors, { subject: 'expiry reference' });
  }
  return { appId, streamKey: ref.streamKey };
}

/** Cancels a key's scheduled expiry; one already running or finished is `too-late`. */
export async function cancelExpiry(
  ctx: ProducerContext,
  ref: ExpiryRef,
): Promise<CancelExpiryResult> {
  const key = expiryRef(ctx, ref);
  let jobId = expiryJobId(key);
  let job = await readExpiryJob(ctx, jobId);
  if (job.state === 'unknown') {
    // Scheduled by an older version, under the key-bearing id.
    const legacyId = legacyExpiryJobId(key);
    const legacy = await readExpiryJob(ctx, legacyId);
    if (legacy.state !== 'unknown') [jobId, job] = [legacyId, legacy];
  }
  const { state } = job;
  switch (state) {
    case 'unknown':
      return { jobId, status: 'not-found' };
    case 'completed':
    case 'failed':
    case 'dead-lettered':
      return { jobId, status: 'too-late', state };
    case 'active':
      return { jobId, status: 'running', state };
    case 'delayed':
    case 'waiting': {
      // Retrying or parked: removing it would drop a takedown halfway (its key revoked, its
      // push still live) with no DLQ entry. It runs to the end.
      if (job.started) return { jobId, status: 'running', state };
      // remove() throws nothing here: it answers 0 when the job is locked (a worker took it).
      const removed = await ctx.queue.remove(jobId);
      if (removed === 0) return { jobId, status: 'running', state: 'active' };
      ctx.logger.info({ jobId: maskJobId(jobId) }, 'scheduled expiry cancelled');
      return { jobId, status: 'cancelled' };
    }
  }
}

const SCAN_COUNT = 1000;

/**
 * Every expiry not finished yet, soonest first: the delayed `expire-…` jobs (due, retrying or
 * parked) and the active ones. `dueAt` is the time it was scheduled for; one that has started
 * also carries its `state`.
 */
export async function listExpiries(ctx: ProducerContext): Promise<ScheduledExpiry[]> {
  const delayed = await scanExpiryIds(ctx);
  const activeIds = (await ctx.client.lrange(ctx.queue.toKey('active'), 0, -1)).filter(
    // `expire-` ids only: current (fingerprint) and older (key-bearing) ones alike.
    (id) => id.startsWith('expire-'),
  );
  const all: [string, number | undefined, TakedownState][] = [
    ...delayed.map(([id, due]): [string, number, TakedownState] => [id, due, 'delayed']),
    ...activeIds.map((id): [string, undefined, TakedownState] => [id, undefined, 'active']),
  ];
  if (all.length === 0) return [];
  const pipeline = ctx.client.pipeline();
  for (const [id] of all) pipeline.hmget(ctx.queue.toKey(id), 'data', 'ats', 'atm', DUE_AT_FIELD);
  const replies = (await pipeline.exec()) ?? [];
  const out: ScheduledExpiry[] = [];
  all.forEach(([jobId, dueAtMs, state], i) => {
    const [err, fields] = replies[i] ?? [null, null];
    if (err || !Array.isArray(fields)) return;
    const [stored, ats, atm, scheduled] = fields as (string | null)[];
    if (typeof stored !== 'string') return; // removed since the scan
    const payload = readPayload(stored);
    if (payload === undefined) return;
    const scheduledAt = toNumber(scheduled);
    const started = isStarted({
      state,
      attemptsStarted: toNumber(ats) ?? 0,
      attemptsMade: toNumber(atm) ?? 0,
      hasProgress: hasProgress(stored),
      dueAt: dueAtMs,
      scheduledAt,
    });
    const due = scheduledAt ?? dueAtMs ?? Date.now();
    const entry: ScheduledExpiry = {
      jobId,
      streamKey: payload.streamKey ?? '',
      region: payload.region,
      appId: payload.appId,
      dueAt: new Date(due).toISOString(),
    };
    if (payload.sid !== undefined) entry.sid = payload.sid;
    if (started) entry.state = state;
    out.push(entry);
  });
  return out.sort((a, b) => (a.dueAt < b.dueAt ? -1 : a.dueAt > b.dueAt ? 1 : 0));
}

/** How many expiries are pending. */
export async function countExpiries(ctx: ProducerContext): Promise<number> {
  return (await scanExpiryIds(ctx)).length;
}

async function scanExpiryIds(ctx: ProducerContext): Promise<[string, number][]> {
  const out: [string, number][] = [];
  let cursor = '0';
  do {
    const [next, flat] = await ctx.client.zscan(
      ctx.queue.toKey('delayed'),
      cursor,
      'MATCH',
      'expire-*',
      'COUNT',
      SCAN_COUNT,
    );
    cursor = next;
    for (let i = 0; i + 1 < flat.length; i += 2) {
      out.push([flat[i] as string, dueAtFromDelayedScore(Number(flat[i + 1]))]);
    }
  } while (cursor !== '0');
  // ZSCAN may return an element twice; keep one.
  return [...new Map(out).entries()];
}

function readPayload(stored: string): TakedownPayload | undefined {
  try {
    const data = JSON.parse(stored) as { payload?: unknown };
    const payload = data.payload;
    if (typeof payload !== 'object' || payload === null) return undefined;
    const p = payload as Partial<TakedownPayload>;
    return typeof p.region === 'string' && typeof p.appId === 'string'
      ? (payload as TakedownPayload)
      : undefined;
  } catch {
    return undefined;
  }
}
