import type { JobType } from 'bullmq';
import {
  deadLetterJobId,
  isQueueJobId,
  maskJobId,
  parseJobId,
  parseTakedownPayload,
  sourceJobIdOf,
  takedownJobId,
} from '../jobs/index.js';
import type { DeadLetterEntry } from '../jobs/index.js';
import { addTakedown } from './enqueue.js';
import { isConnectionError } from './errors.js';
import { readJobState } from './job-state.js';
import type { ProducerContext } from './producer-context.js';

export interface ListDeadOptions {
  /** At most this many entries, newest first. Default: all. */
  limit?: number;
}

export interface RedriveResult {
  jobId: string;
  status: 'redriven' | 'not-found' | 'failed';
  message?: string;
  /**
   * Set when the takedown was queued again under another id: the one its payload gives
   * (`sid-…`/`key-…`), because `jobId` is not an id the producer makes (BullMQ's own numbering,
   * an id with ':', a pre-fingerprint `key-…` id) and BullMQ may refuse it.
   */
  requeuedAs?: string;
}

export interface PurgeResult {
  jobId: string;
  status: 'purged' | 'not-found';
}

// DLQ entries are never processed, so they sit in wait/prioritized; the rest is belt and braces.
const ALL_TYPES: JobType[] = [
  'waiting',
  'prioritized',
  'delayed',
  'active',
  'completed',
  'failed',
  'waiting-children',
];

/** The `takedown-dlq` job ids of every entry (map with sourceJobIdOf: dead-letter-id.ts). */
async function entryIds(ctx: ProducerContext): Promise<string[]> {
  const ids = await ctx.dlq.getRanges(ALL_TYPES, 0, -1);
  return [...new Set(ids)];
}

function failedAtMs(entry: DeadLetterEntry): number {
  const ms = Date.parse(entry.failedAt);
  return Number.isNaN(ms) ? 0 : ms;
}

/** DLQ entries, newest failure first. */
export async function listDead(
  ctx: ProducerContext,
  options: ListDeadOptions = {},
): Promise<DeadLetterEntry[]> {
  const { limit } = options;
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 1)) {
    throw new RangeError(`limit must be a positive integer; got ${limit}`);
  }
  const ids = await entryIds(ctx);
  if (ids.length === 0) return [];
  const pipeline = ctx.client.pipeline();
  for (const id of ids) pipeline.hget(ctx.dlq.toKey(id), 'data');
  const replies = (await pipeline.exec()) ?? [];
  const entries: DeadLetterEntry[] = [];
  for (const [err, stored] of replies) {
    if (err || typeof stored !== 'string') continue; // removed since the listing
    try {
      entries.push(JSON.parse(stored) as DeadLetterEntry);
    } catch {
      // Not written by our worker; nothing sensible to show.
    }
  }
  entries.sort((a, b) => failedAtMs(b) - failedAtMs(a));
  return limit === undefined ? entries : entries.slice(0, limit);
}

/** One DLQ entry by job id, or null. */
export async function showDead(
  ctx: ProducerContext,
  jobId: string,
): Promise<DeadLetterEntry | null> {
  if (!isQueueJobId(jobId)) return null;
  const job = await ctx.dlq.getJob(deadLetterJobId(jobId));
  return job?.data ?? null;
}

async function idsFor(ctx: ProducerContext, ids: readonly string[] | 'all'): Promise<string[]> {
  return ids === 'all' ? (await entryIds(ctx)).map(sourceJobIdOf) : [...new Set(ids)];
}

/**
 * Re-runs dead-lettered takedowns from scratch: the failed job is removed from the main queue, a
 * fresh one is added under the same id with the original payload (no progress, full attempts),
 * then the DLQ entry is removed. An id is handled on its own: unknown ids and refusals are
 * reported, not thrown; only Redis going away aborts the whole call.
 */
export async function redrive(
  ctx: ProducerContext,
  ids: readonly string[] | 'all',
): Promise<RedriveResult[]> {
  const out: RedriveResult[] = [];
  for (const jobId of await idsFor(ctx, ids)) {
    try {
      out.push(await redriveOne(ctx, jobId));
    } catch (err) {
      if (isConnectionError(err)) throw err;
      out.push({
        jobId,
        status: 'failed',
        message: err instanceof Error ? err.message : String(err),
      });
    }
  }
  return out;
}

async function redriveOne(ctx: ProducerContext, jobId: string): Promise<RedriveResult> {
  const entry = await showDead(ctx, jobId);
  if (entry === null) return { jobId, status: 'not-found' };
  const parsed = parseTakedownPayload(entry.payload);
  if (!parsed.ok) {
    const detail = parsed.errors.map((e) => `${e.field}: ${e.message}`).join('; ');
    return {
      jobId,
      status: 'failed',
      message: `the payload is invalid and would fail again (${detail}); purge it instead`,
    };
  }
  const { state } = await readJobState(ctx, jobId);
  if (state === 'waiting' || state === 'delayed' || state === 'active') {
    return {
      jobId,
      status: 'failed',
      message: `job ${jobId} is already ${state} in the takedown queue; purge the stale DLQ entry instead`,
    };
  }
  if (state !== 'unknown' && (await ctx.queue.remove(jobId)) === 0) {
    return { jobId, status: 'failed', message: `job ${jobId} is locked by a worker; try again` };
  }
  // Our own ids are kept; any other is replaced by the one the payload gives (see RedriveResult).
  const requeueId = parseJobId(jobId) === undefined ? takedownJobId(parsed.value) : jobId;
  const added = await addTakedown(ctx, requeueId, parsed.value);
  await ctx.dlq.remove(deadLetterJobId(jobId));
  ctx.logger.info(
    { jobId: maskJobId(jobId), requeuedAs: maskJobId(requeueId), status: added.status },
    'dead-lettered takedown redriven',
  );
  const result: RedriveResult = { jobId, status: 'redriven' };
  if (requeueId !== jobId) {
    result.requeuedAs = requeueId;
    result.message = `queued again as ${maskJobId(requeueId)}`;
  }
  if (added.status !== 'enqueued') {
    const also = `another producer re-added ${maskJobId(requeueId)} at the same time`;
    result.message = result.message === undefined ? also : `${result.message}; ${also}`;
  }
  return result;
}

/**
 * Deletes DLQ entries and their failed main-queue jobs, so the ids are free for a new takedown.
 * A main-queue job that is not failed (e.g. re-enqueued since) is left alone.
 */
export async function purge(
  ctx: ProducerContext,
  ids: readonly string[] | 'all',
): Promise<PurgeResult[]> {
  const out: PurgeResult[] = [];
  for (const jobId of await idsFor(ctx, ids)) {
    if (!isQueueJobId(jobId)) {
      out.push({ jobId, status: 'not-found' });
      continue;
    }
    const deadId = deadLetterJobId(jobId);
    const [{ state }, deadJob] = await Promise.all([
      readJobState(ctx, jobId),
      ctx.dlq.getJob(deadId),
    ]);
    let purged = false;
    if (state === 'failed' || state === 'dead-lettered') {
      // A dead-lettered id with no main job left: remove() of a missing job is a no-op.
      purged = (await ctx.queue.remove(jobId)) === 1 || purged;
    }
    if (deadJob !== undefined) {
      await ctx.dlq.remove(deadId);
      purged = true;
    }
    out.push({ jobId, status: purged ? 'purged' : 'not-found' });
  }
  if (out.some((r) => r.status === 'purged')) {
    ctx.logger.info({ purged: out.filter((r) => r.status === 'purged').length }, 'DLQ purged');
  }
  return out;
}
