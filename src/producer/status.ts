import {
  batchKey,
  deadLetterJobId,
  expiryJobId,
  isQueueJobId,
  legacyExpiryJobId,
  legacyKeyJobId,
  takedownJobId,
} from '../jobs/index.js';
import type {
  DeadLetterEntry,
  FieldError,
  TakedownConfirmation,
  TakedownJobData,
  TakedownResult,
} from '../jobs/index.js';
import { checkBatchId } from './enqueue.js';
import { batchMetaKey } from './batch-record.js';
import { ValidationError } from './errors.js';
import { readJobStates } from './job-state.js';
import type { JobStateInfo, TakedownState } from './job-state.js';
import type { ProducerContext } from './producer-context.js';

export type StatusQuery =
  | string
  | { jobId: string }
  | { sid: string; appId?: string }
  | { streamKey: string; appId?: string }
  | { batchId: string };

export interface JobStatusError {
  name?: string;
  status?: number;
  message: string;
  requestId?: string;
}

export interface JobStatus {
  kind: 'job';
  jobId: string;
  state: TakedownState;
  /** The first unfinished step (`done` once finished); absent before the job first ran. */
  step?: string;
  /** Attempts that failed so far (BullMQ attemptsMade; the DLQ entry's count when dead-lettered). */
  attempts: number;
  result?: TakedownResult;
  lastError?: JobStatusError;
  /** The stored payload, as written by the producer (a poison job's may be anything). */
  payload: unknown;
  timestamps: {
    enqueuedAt?: string;
    startedAt?: string;
    finishedAt?: string;
    /** When a delayed job (scheduled expiry, or a retry after backoff) is due. */
    dueAt?: string;
    deadLetteredAt?: string;
  };
  deadLetter?: DeadLetterEntry;
  /** When Agora confirmed the end of a push this takedown cut (see `confirmation`). */
  confirmedAt?: string;
  /** The Agora event that confirmed it. */
  confirmation?: TakedownConfirmation;
  /** For a stream-key query: the other job of that key (its takedown or its scheduled expiry). */
  related?: JobStatus[];
}

export type BatchStateCounts = Record<TakedownState | 'unknown', number>;

export interface BatchStatus {
  kind: 'batch';
  batchId: string;
  /** Distinct takedowns in the batch. */
  total: number;
  /** By state; `unknown` = no longer in Redis (finished and past the idempotency window). */
  counts: BatchStateCounts;
  /** completed / total × 100, one decimal. */
  completedPercent: number;
  /** Valid requests submitted (same-batch duplicates included) and rows rejected. */
  submitted: number;
  rejected: number;
  createdAt?: string;
}

function resolveAppId(ctx: ProducerContext, appId: string | undefined): string {
  const resolved = appId ?? ctx.defaultAppId;
  if (resolved === undefined || resolved === '') {
    const error: FieldError = {
      field: 'appId',
      message: 'appId is required (no default App ID is configured: set AGORA_APP_ID)',
    };
    throw new ValidationError([error], { subject: 'status query' });
  }
  return resolved;
}

function nonEmpty(value: unknown, field: string): string {
  if (typeof value !== 'string' || value === '') {
    throw new ValidationError([{ field, message: `${field} must be a non-empty string` }], {
      subject: 'status query',
    });
  }
  return value;
}

/**
 * One takedown (by job id, SID or stream key) or a batch. Null when nothing is known. A stream
 * key has two possible jobs (its key-only takedown and its scheduled expiry): the takedown is
 * returned when it exists, the other one under `related`.
 */
export async function getStatus(
  ctx: ProducerContext,
  query: StatusQuery,
): Promise<JobStatus | BatchStatus | null> {
  if (typeof query === 'string') return getJobStatus(ctx, nonEmpty(query, 'jobId'));
  if ('batchId' in query) return getBatchStatus(ctx, checkBatchId(query.batchId));
  if ('jobId' in query) return getJobStatus(ctx, nonEmpty(query.jobId, 'jobId'));
  if ('sid' in query) {
    const appId = resolveAppId(ctx, query.appId);
    return getJobStatus(ctx, takedownJobId({ appId, sid: nonEmpty(query.sid, 'sid') }));
  }
  const appId = resolveAppId(ctx, query.appId);
  const streamKey = nonEmpty(query.streamKey, 'streamKey');
  const ref = { appId, streamKey };
  // Jobs an older version queued carry the key in their ids; the current id wins when both exist.
  const [takedown, expiry] = await Promise.all([
    firstStatus(ctx, [takedownJobId(ref), legacyKeyJobId(ref)]),
    firstStatus(ctx, [expiryJobId(ref), legacyExpiryJobId(ref)]),
  ]);
  if (takedown === null) return expiry;
  if (expiry !== null) takedown.related = [expiry];
  return takedown;
}

async function firstStatus(
  ctx: ProducerContext,
  ids: readonly string[],
): Promise<JobStatus | null> {
  const infos = await readJobStates(ctx, ids);
  const found = infos.findIndex((info) => info.state !== 'unknown');
  const jobId = ids[found];
  const info = infos[found];
  return jobId === undefined || info === undefined ? null : buildJobStatus(ctx, jobId, info);
}

function iso(ms: unknown): string | undefined {
  return typeof ms === 'number' && Number.isFinite(ms) && ms > 0
    ? new Date(ms).toISOString()
    : undefined;
}

function progressStep(data: unknown): string | undefined {
  if (typeof data !== 'object' || data === null) return undefined;
  const progress = (data as { progress?: unknown }).progress;
  if (typeof progress !== 'object' || progress === null) return undefined;
  const step = (progress as { step?: unknown }).step;
  return typeof step === 'string' ? step : undefined;
}

/** A job's status, or null when neither the queue nor the DLQ knows the id. */
export async function getJobStatus(ctx: ProducerContext, jobId: string): Promise<JobStatus | null> {
  // Anything else would address other Redis keys of the queue.
  if (!isQueueJobId(jobId)) return null;
  const [info] = await readJobStates(ctx, [jobId]);
  return info === undefined ? null : buildJobStatus(ctx, jobId, info);
}

async function buildJobStatus(
  ctx: ProducerContext,
  jobId: string,
  info: JobStateInfo,
): Promise<JobStatus | null> {
  if (info.state === 'unknown') return null;
  const [job, deadJob] = await Promise.all([
    ctx.queue.getJob(jobId),
    info.state === 'dead-lettered'
      ? ctx.dlq.getJob(deadLetterJobId(jobId))
      : Promise.resolve(undefined),
  ]);
  const entry = deadJob?.data;
  if (job === undefined && entry === undefined) return null; // removed since the state read

  const status: JobStatus = {
    kind: 'job',
    jobId,
    state: info.state,
    attempts: job?.attemptsMade ?? entry?.attempts ?? 0,
    payload: job !== undefined ? (job.data as { payload?: unknown }).payload : entry?.payload,
    timestamps: {},
  };
  const step = progressStep(job?.data);
  if (step !== undefined) status.step = step;
  else if (entry !== undefined) status.step = entry.failedStep;

  if (job !== undefined) {
    const enqueuedAt = iso(job.timestamp);
    const startedAt = iso(job.processedOn);
    const finishedAt = iso(job.finishedOn);
    if (enqueuedAt !== undefined) status.timestamps.enqueuedAt = enqueuedAt;
    if (startedAt !== undefined) status.timestamps.startedAt = startedAt;
    if (finishedAt !== undefined) status.timestamps.finishedAt = finishedAt;
    if (info.state === 'completed' && job.returnvalue !== null && job.returnvalue !== undefined) {
      status.result = job.returnvalue as TakedownResult;
    }
    if (typeof job.failedReason === 'string' && job.failedReason !== '') {
      status.lastError = { message: job.failedReason };
    }
    const data = job.data as Partial<TakedownJobData> | undefined;
    if (typeof data?.confirmedAt === 'string' && data.confirmation !== undefined) {
      status.confirmedAt = data.confirmedAt;
      status.confirmation = data.confirmation;
    }
  } else if (entry?.enqueuedAt !== undefined) {
    status.timestamps.enqueuedAt = entry.enqueuedAt;
  }
  if (info.dueAt !== undefined) status.timestamps.dueAt = new Date(info.dueAt).toISOString();
  if (entry !== undefined) {
    status.deadLetter = entry;
    status.lastError = { ...entry.error };
    status.timestamps.deadLetteredAt = entry.failedAt;
  }
  return status;
}

const BATCH_PAGE = 1000;

function emptyCounts(): BatchStateCounts {
  return {
    waiting: 0,
    delayed: 0,
    active: 0,
    completed: 0,
    failed: 0,
    'dead-lettered': 0,
    unknown: 0,
  };
}

/** Counts by state over a batch's members; null when the batch is unknown (or expired). */
export async function getBatchStatus(
  ctx: ProducerContext,
  batchId: string,
): Promise<BatchStatus | null> {
  const setKey = batchKey(ctx.prefix, batchId);
  const meta = await ctx.client.hgetall(batchMetaKey(ctx.prefix, batchId));
  const counts = emptyCounts();
  let cursor = '0';
  do {
    // SSCAN can repeat a member when the set is rehashed mid-scan; counts may then be off by a
    // few, which a progress view tolerates better than holding every id of a huge batch.
    const [next, members] = await ctx.client.sscan(setKey, cursor, 'COUNT', BATCH_PAGE);
    cursor = next;
    for (const { state } of await readJobStates(ctx, members)) counts[state]++;
  } while (cursor !== '0');
  const total = await ctx.client.scard(setKey);

  if (total === 0 && Object.keys(meta).length === 0) return null;
  const status: BatchStatus = {
    kind: 'batch',
    batchId,
    total,
    counts,
    completedPercent: total === 0 ? 0 : Math.round((counts.completed / total) * 1000) / 10,
    submitted: Number(meta['total'] ?? total),
    rejected: Number(meta['rejected'] ?? 0),
  };
  if (meta['createdAt'] !== undefined) status.createdAt = meta['createdAt'];
  return status;
}
