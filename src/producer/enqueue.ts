import { randomBytes } from 'node:crypto';
import type { JobsOptions } from 'bullmq';
import {
  BATCH_ID_MAX_CHARS,
  TAKEDOWN_JOB_NAME,
  maskJobId,
  parseTakedownRequest,
  takedownJobId,
  toBullPriority,
} from '../jobs/index.js';
import type { TakedownJobData, TakedownPayload } from '../jobs/index.js';
import { execChecked, recordBatchMembers, recordBatchMeta } from './batch-record.js';
import { ValidationError } from './errors.js';
import type { EnqueueResult } from './enqueue-result.js';
import { mergeDuplicate } from './merge-duplicate.js';
import { findLegacyDuplicates } from './legacy-key-ids.js';
import { readOwnership } from './ownership.js';
import type { ProducerContext } from './producer-context.js';

export interface EnqueueOptions {
  /** Records the takedown as part of this batch (payload.batchId). */
  batchId?: string;
  /** Run no sooner than this many ms from now. */
  delayMs?: number;
}

export type { EnqueueResult, MergeChange } from './enqueue-result.js';

/** Same charset and length as the payload's batchId, so a batch id is always a valid payload field. */
const BATCH_ID_RE = new RegExp(`^[A-Za-z0-9._-]{1,${BATCH_ID_MAX_CHARS}}$`);

export function checkBatchId(batchId: string): string {
  if (!BATCH_ID_RE.test(batchId)) {
    throw new ValidationError(
      [
        {
          field: 'batchId',
          message: `batchId must be 1–${BATCH_ID_MAX_CHARS} characters A-Z a-z 0-9 . _ -`,
        },
      ],
      { subject: 'batch id' },
    );
  }
  return batchId;
}

/** `b-<UTC yyyymmddThhmmssZ>-<8 hex>`: sortable by creation, no ':' (BullMQ/Redis key safe). */
export function newBatchId(now: Date = new Date()): string {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return `b-${stamp}-${randomBytes(4).toString('hex')}`;
}

/** Random per add: written into job.data so the producer can tell whether its add won. */
export function newEnqueueToken(): string {
  return randomBytes(12).toString('base64url');
}

/**
 * The job data for an add. `enqueueToken` comes first on purpose: BullMQ stores
 * JSON.stringify(data) and the worker's `{ ...job.data, progress }` keeps key order, so
 * ownership is a prefix test on the stored string (ownership.ts), with no JSON parse.
 */
export function toJobData(token: string, payload: TakedownPayload): TakedownJobData {
  return { enqueueToken: token, payload };
}

const CUSTOM_BACKOFF = { type: 'custom' } as const;

/** Options every takedown job is added with (DESIGN §2: retention = idempotency window). */
export function takedownJobOptions(
  ctx: ProducerContext,
  jobId: string,
  payload: TakedownPayload,
  delayMs?: number,
): JobsOptions {
  const opts: JobsOptions = {
    jobId,
    priority: toBullPriority(payload.priority),
    attempts: ctx.attempts,
    backoff: CUSTOM_BACKOFF,
    removeOnComplete: { age: ctx.idempotencyWindowS },
    // Failed jobs stay until the DLQ admin redrives or purges them.
    removeOnFail: false,
  };
  if (delayMs !== undefined && delayMs > 0) opts.delay = delayMs;
  return opts;
}

/** Validates one request into a payload, or throws ValidationError naming every bad field. */
export function toPayload(ctx: ProducerContext, request: unknown): TakedownPayload {
  const parsed = parseTakedownRequest(request, ctx.parseOptions);
  if (!parsed.ok) throw new ValidationError(parsed.errors);
  return parsed.value;
}

/**
 * Adds one takedown under `jobId` and says whether this call created it. BullMQ's add() on an
 * existing id writes nothing and returns a Job built from *our* data (bullmq #3214), so the
 * stored data is read back and its token compared; an existing job gets the request merged into
 * it (merge-duplicate.ts). A job removed between our add and the read is added again (bounded).
 */
export async function addTakedown(
  ctx: ProducerContext,
  jobId: string,
  payload: TakedownPayload,
  delayMs?: number,
): Promise<EnqueueResult> {
  for (let round = 0; round < 3; round++) {
    const token = newEnqueueToken();
    await ctx.queue.add(
      TAKEDOWN_JOB_NAME,
      toJobData(token, payload),
      takedownJobOptions(ctx, jobId, payload, delayMs),
    );
    const [owner] = await readOwnership(ctx.client, [ctx.queue.toKey(jobId)], token);
    if (owner === 'missing') continue;
    if (owner === 'own') {
      const state = delayMs !== undefined && delayMs > 0 ? 'delayed' : 'waiting';
      return { jobId, status: 'enqueued', state, priority: payload.priority };
    }
    const merged = await mergeDuplicate(ctx, jobId, payload, (id, p) => addTakedown(ctx, id, p));
    if (merged !== undefined) return merged;
  }
  throw new Error(`job ${jobId} kept disappearing while it was being enqueued; try again`);
}

function checkDelay(delayMs: number | undefined): number | undefined {
  if (delayMs === undefined) return undefined;
  if (!Number.isFinite(delayMs) || delayMs < 0) {
    throw new ValidationError([
      { field: 'delayMs', message: `delayMs must be a number of milliseconds ≥ 0; got ${delayMs}` },
    ]);
  }
  return Math.round(delayMs);
}

/**
 * Adds a takedown under its id, or merges it into the job that holds it. A key-only request
 * that an older version queued under the key-bearing id is merged into that job instead
 * (legacy-key-ids.ts), so it is not queued twice during the migration window.
 */
export async function addOrMergeTakedown(
  ctx: ProducerContext,
  payload: TakedownPayload,
  delayMs?: number,
): Promise<EnqueueResult> {
  const [legacy] = await findLegacyDuplicates(ctx, [payload]);
  if (legacy !== undefined) {
    const merged = await mergeDuplicate(ctx, legacy.jobId, payload, (id, p) =>
      addTakedown(ctx, id, p),
    );
    if (merged !== undefined) return merged;
  }
  return addTakedown(ctx, takedownJobId(payload), payload, delayMs);
}

/** Validates and enqueues one takedown; a second request for the same SID/key is a duplicate. */
export async function enqueue(
  ctx: ProducerContext,
  request: unknown,
  options: EnqueueOptions = {},
): Promise<EnqueueResult> {
  const batchId = options.batchId === undefined ? undefined : checkBatchId(options.batchId);
  const delayMs = checkDelay(options.delayMs);
  const payload = toPayload(ctx, request);
  if (batchId !== undefined) payload.batchId = batchId;
  const result = await addOrMergeTakedown(ctx, payload, delayMs);
  const { jobId } = result;
  if (batchId !== undefined) {
    const record = ctx.client.multi();
    recordBatchMeta(ctx, record, batchId, { submitted: 1, rejected: 0 });
    recordBatchMembers(ctx, record, batchId, [jobId]);
    await execChecked(record);
  }
  ctx.logger.info(
    {
      jobId: maskJobId(jobId),
      status: result.status,
      state: result.state,
      priority: result.priority,
      region: payload.region,
      appId: payload.appId,
    },
    result.status === 'enqueued' ? 'takedown enqueued' : 'takedown already queued',
  );
  return result;
}
