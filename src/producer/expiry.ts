import { TAKEDOWN_JOB_NAME, expiryJobId, parseTakedownRequest } from '../jobs/index.js';
import type { FieldError, TakedownPayload } from '../jobs/index.js';
import { ValidationError } from './errors.js';
import { newEnqueueToken, takedownJobOptions, toJobData } from './enqueue.js';
import { dueAtFromDelayedScore, readJobState } from './job-state.js';
import { readOwnership } from './ownership.js';
import type { ProducerContext } from './producer-context.js';

export type ScheduleExpiryResult =
  | { jobId: string; status: 'scheduled' | 'rescheduled'; /** ISO 8601 */ dueAt: string }
  /** The expiry takedown of this key is running right now; it was left alone. */
  | { jobId: string; status: 'too-late' };

export interface CancelExpiryResult {
  jobId: string;
  /** `too-late`: it is running or has already run. */
  status: 'cancelled' | 'not-found' | 'too-late';
}

export interface ScheduledExpiry {
  jobId: string;
  streamKey: string;
  region: string;
  appId: string;
  sid?: string;
  /** ISO 8601. */
  dueAt: string;
}

export interface ExpiryRef {
  /** Defaults to the configured App ID. */
  appId?: string;
  streamKey: string;
}

function expiryPayload(ctx: ProducerContext, request: unknown): TakedownPayload {
  const parsed = parseTakedownRequest(request, { defaultAppId: ctx.defaultAppId });
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
  const jobId = expiryJobId({ appId: payload.appId, streamKey: payload.streamKey as string });
  const dueAt = at.toISOString();
  let replaced: 'scheduled' | 'rescheduled' | undefined;

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
      return { jobId, status: replaced ?? 'scheduled', dueAt };
    }
    const { state } = await readJobState(ctx, jobId);
    if (state === 'active') return { jobId, status: 'too-late' };
    if (state === 'unknown') continue; // removed meanwhile: the next add is ours

    if (state === 'delayed') {
      const job = await ctx.queue.getJob(jobId);
      if (job !== undefined && samePayload(job.data.payload, payload)) {
        try {
          await job.changeDelay(delay);
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
    if (removed === 0) return { jobId, status: 'too-late' };
  }
  throw new Error(`could not schedule ${jobId}: it kept changing under us; try again`);
}

function expiryRefId(ctx: ProducerContext, ref: ExpiryRef): string {
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
  return expiryJobId({ appId, streamKey: ref.streamKey });
}

/** Cancels a key's scheduled expiry; one already running or finished is `too-late`. */
export async function cancelExpiry(
  ctx: ProducerContext,
  ref: ExpiryRef,
): Promise<CancelExpiryResult> {
  const jobId = expiryRefId(ctx, ref);
  const { state } = await readJobState(ctx, jobId);
  switch (state) {
    case 'unknown':
      return { jobId, status: 'not-found' };
    case 'active':
    case 'completed':
    case 'failed':
    case 'dead-lettered':
      return { jobId, status: 'too-late' };
    case 'delayed':
    case 'waiting': {
      // remove() throws nothing here: it answers 0 when the job is locked (a worker took it).
      const removed = await ctx.queue.remove(jobId);
      if (removed === 0) return { jobId, status: 'too-late' };
      ctx.logger.info({ jobId }, 'scheduled expiry cancelled');
      return { jobId, status: 'cancelled' };
    }
  }
}

const SCAN_COUNT = 1000;

/** Every pending expiry (delayed `expire-…` jobs), soonest first. */
export async function listExpiries(ctx: ProducerContext): Promise<ScheduledExpiry[]> {
  const due = await scanExpiryIds(ctx);
  if (due.length === 0) return [];
  const pipeline = ctx.client.pipeline();
  for (const [id] of due) pipeline.hget(ctx.queue.toKey(id), 'data');
  const replies = (await pipeline.exec()) ?? [];
  const out: ScheduledExpiry[] = [];
  due.forEach(([jobId, dueAtMs], i) => {
    const [err, stored] = replies[i] ?? [null, null];
    if (err || typeof stored !== 'string') return; // removed since the scan
    const payload = readPayload(stored);
    if (payload === undefined) return;
    const entry: ScheduledExpiry = {
      jobId,
      streamKey: payload.streamKey ?? '',
      region: payload.region,
      appId: payload.appId,
      dueAt: new Date(dueAtMs).toISOString(),
    };
    if (payload.sid !== undefined) entry.sid = payload.sid;
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
