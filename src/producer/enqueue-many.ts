import {
  TAKEDOWN_JOB_NAME,
  fromBullPriority,
  isHigherPriority,
  parseTakedownRequest,
  takedownJobId,
} from '../jobs/index.js';
import type { FieldError, ParseResult, TakedownPayload } from '../jobs/index.js';
import {
  addOrMergeTakedown,
  addTakedown,
  checkBatchId,
  newBatchId,
  newEnqueueToken,
  takedownJobOptions,
  toJobData,
} from './enqueue.js';
import type { EnqueueResult } from './enqueue-result.js';
import { execChecked, recordBatchMembers, recordBatchMeta } from './batch-record.js';
import { readJobStates } from './job-state.js';
import { findLegacyDuplicates } from './legacy-key-ids.js';
import { mergeDuplicate, parseStoredData, planMerge } from './merge-duplicate.js';
import { pipelineOwnership, toOwnership } from './ownership.js';
import type { ProducerContext } from './producer-context.js';

export interface BatchProgress {
  total: number;
  validated: number;
  enqueued: number;
  duplicates: number;
  rejected: number;
}

export interface EnqueueManyOptions {
  /** Default: a fresh `b-<timestamp>-<random>`. Reusing one across calls grows that batch. */
  batchId?: string;
  /** Enqueue nothing unless every request is valid. */
  strict?: boolean;
  /** Jobs per addBulk call (one Redis transaction each). @defaultValue 1000 */
  chunkSize?: number;
  /** Called after validation and after each chunk. */
  onProgress?: (progress: BatchProgress) => void;
}

export type BatchItemResult =
  ({ index: number } & EnqueueResult) | { index: number; status: 'rejected'; errors: FieldError[] };

export interface BatchCounts {
  total: number;
  enqueued: number;
  duplicates: number;
  rejected: number;
}

export interface EnqueueManyResult {
  batchId: string;
  /**
   * One entry per request, in request order (`index` = position in the input). In strict mode
   * with any invalid request nothing is enqueued and only the rejected requests are listed.
   */
  results: BatchItemResult[];
  counts: BatchCounts;
}

export const DEFAULT_CHUNK_SIZE = 1000;
const MAX_CHUNK_SIZE = 10_000;

interface Accepted {
  index: number;
  jobId: string;
  payload: TakedownPayload;
}

function checkChunkSize(chunkSize: number | undefined): number {
  if (chunkSize === undefined) return DEFAULT_CHUNK_SIZE;
  if (!Number.isInteger(chunkSize) || chunkSize < 1 || chunkSize > MAX_CHUNK_SIZE) {
    throw new RangeError(
      `chunkSize must be an integer from 1 to ${MAX_CHUNK_SIZE}; got ${chunkSize}`,
    );
  }
  return chunkSize;
}

/**
 * Validates the requests and enqueues the valid ones with addBulk, chunk by chunk. Per chunk:
 * validate, one addBulk, then one pipeline that checks which adds won (ownership script) and
 * records batch membership and counts; existing jobs' states cost one more round trip, only when
 * there are any. Requests that collapse onto the same job id within the batch are duplicates of
 * the first. Strict mode validates everything before enqueuing anything; otherwise validation
 * runs chunk by chunk, so payloads die young and `validated` grows with the chunks. Throughput
 * stays close to raw addBulk (bench: 50,000 jobs).
 */
export async function enqueueMany(
  ctx: ProducerContext,
  requests: readonly unknown[],
  options: EnqueueManyOptions = {},
): Promise<EnqueueManyResult> {
  const batchId = options.batchId === undefined ? newBatchId() : checkBatchId(options.batchId);
  const chunkSize = checkChunkSize(options.chunkSize);
  const total = requests.length;
  const progress: BatchProgress = { total, validated: 0, enqueued: 0, duplicates: 0, rejected: 0 };
  const report = (): void => options.onProgress?.({ ...progress });
  const results = new Array<BatchItemResult | undefined>(total);
  const parseOptions = ctx.parseOptions;

  // Strict: the whole input is checked before the first write.
  let prevalidated: ParseResult<TakedownPayload>[] | undefined;
  if (options.strict === true) {
    prevalidated = requests.map((request) => parseTakedownRequest(request, parseOptions));
    const rejected: BatchItemResult[] = [];
    prevalidated.forEach((parsed, index) => {
      if (!parsed.ok) rejected.push({ index, status: 'rejected', errors: parsed.errors });
    });
    progress.validated = total;
    progress.rejected = rejected.length;
    report();
    if (rejected.length > 0) {
      return {
        batchId,
        results: rejected,
        counts: { total, enqueued: 0, duplicates: 0, rejected: rejected.length },
      };
    }
  }

  const firstIndexOf = new Map<string, number>();
  const token = newEnqueueToken();

  /** Writes one validated chunk and fills in its results; chunks complete in order. */
  const writeChunk = async (
    chunk: readonly Accepted[],
    sameBatchDuplicates: readonly Accepted[],
    rejectedInChunk: number,
  ): Promise<void> => {
    const outcomes = await addChunk(ctx, chunk, token, batchId, {
      submitted: chunk.length + sameBatchDuplicates.length,
      rejected: rejectedInChunk,
    });
    chunk.forEach((item, i) => {
      const outcome = outcomes[i] as EnqueueResult;
      results[item.index] = { index: item.index, ...outcome };
      if (outcome.status === 'enqueued') progress.enqueued++;
      else progress.duplicates++;
    });
    // The first occurrence is in this chunk or an earlier one, which completed before this one.
    for (const dup of sameBatchDuplicates) {
      const first = results[firstIndexOf.get(dup.jobId) ?? -1];
      results[dup.index] = {
        index: dup.index,
        ...(await sameBatchDuplicate(
          ctx,
          dup,
          first === undefined || first.status === 'rejected' ? undefined : first,
        )),
      };
      progress.duplicates++;
    }
    report();
  };

  // Two chunks in flight: the next chunk is validated and sent while Redis runs the previous
  // one, so Node's work overlaps Redis's instead of waiting for it.
  let previous: Promise<void> | undefined;
  try {
    for (let start = 0; start < total || (start === 0 && total === 0); start += chunkSize) {
      const end = Math.min(total, start + chunkSize);
      const chunk: Accepted[] = [];
      const sameBatchDuplicates: Accepted[] = [];
      let rejectedInChunk = 0;
      for (let index = start; index < end; index++) {
        const parsed = prevalidated?.[index] ?? parseTakedownRequest(requests[index], parseOptions);
        if (!parsed.ok) {
          results[index] = { index, status: 'rejected', errors: parsed.errors };
          rejectedInChunk++;
          continue;
        }
        const payload = parsed.value;
        payload.batchId = batchId;
        const jobId = takedownJobId(payload);
        if (firstIndexOf.has(jobId)) sameBatchDuplicates.push({ index, jobId, payload });
        else {
          firstIndexOf.set(jobId, index);
          chunk.push({ index, jobId, payload });
        }
      }
      if (prevalidated === undefined) {
        progress.validated = end;
        progress.rejected += rejectedInChunk;
      }
      const current = writeChunk(chunk, sameBatchDuplicates, rejectedInChunk);
      // Handled here so a failure is not "unhandled" while the previous chunk is awaited; the
      // promise itself still rejects where it is awaited below.
      current.catch(() => undefined);
      const before = previous;
      previous = current;
      if (before !== undefined) await before;
    }
    if (previous !== undefined) await previous;
  } catch (err) {
    // Do not leave a chunk running behind the caller's back.
    if (previous !== undefined) await Promise.allSettled([previous]);
    throw err;
  }

  ctx.logger.info({ batchId, ...progress }, 'batch enqueued');
  return {
    batchId,
    results: results as BatchItemResult[],
    counts: {
      total,
      enqueued: progress.enqueued,
      duplicates: progress.duplicates,
      rejected: progress.rejected,
    },
  };
}

/**
 * Adds one chunk and records it in the batch. The batch meta is written even for a chunk whose
 * rows were all rejected, so a batch's status can always be asked for.
 */
async function addChunk(
  ctx: ProducerContext,
  chunk: readonly Accepted[],
  token: string,
  batchId: string,
  counts: { submitted: number; rejected: number },
): Promise<EnqueueResult[]> {
  // Key-only rows an older version queued under the key-bearing id (migration window, rare):
  // merged into that job one by one; the rest goes in bulk.
  const legacy = await findLegacyDuplicates(
    ctx,
    chunk.map((item) => item.payload),
  );
  if (legacy.every((l) => l === undefined)) {
    return addFreshChunk(ctx, chunk, token, batchId, counts);
  }
  const fresh = chunk.filter((_, i) => legacy[i] === undefined);
  const freshOut = await addFreshChunk(ctx, fresh, token, batchId, counts);
  const out: EnqueueResult[] = [];
  let next = 0;
  for (let i = 0; i < chunk.length; i++) {
    const item = chunk[i] as Accepted;
    out.push(
      legacy[i] === undefined
        ? (freshOut[next++] as EnqueueResult)
        : await addOrMergeTakedown(ctx, item.payload),
    );
  }
  const record = ctx.client.pipeline();
  recordBatchMembers(
    ctx,
    record,
    batchId,
    out.filter((_, i) => legacy[i] !== undefined).map((r) => r.jobId),
  );
  await execChecked(record);
  return out;
}

async function addFreshChunk(
  ctx: ProducerContext,
  chunk: readonly Accepted[],
  token: string,
  batchId: string,
  counts: { submitted: number; rejected: number },
): Promise<EnqueueResult[]> {
  if (chunk.length > 0) {
    await ctx.queue.addBulk(
      chunk.map((item) => ({
        name: TAKEDOWN_JOB_NAME,
        data: toJobData(token, item.payload),
        opts: takedownJobOptions(ctx, item.jobId, item.payload),
      })),
    );
  }

  const ids = chunk.map((item) => item.jobId);
  const pipeline = ctx.client.pipeline();
  if (chunk.length > 0) {
    pipelineOwnership(
      pipeline,
      ids.map((id) => ctx.queue.toKey(id)),
      token,
    );
  }
  recordBatchMembers(ctx, pipeline, batchId, ids);
  recordBatchMeta(ctx, pipeline, batchId, counts);
  const replies = await execChecked(pipeline);
  if (chunk.length === 0) return [];
  const owners = toOwnership(replies[0]?.[1], chunk.length);

  const out = new Array<EnqueueResult | undefined>(chunk.length);
  const existing: number[] = [];
  owners.forEach((owner, i) => {
    if (owner === 'own') {
      const priority = (chunk[i] as Accepted).payload.priority;
      out[i] = { jobId: ids[i] as string, status: 'enqueued', state: 'waiting', priority };
    } else existing.push(i);
  });

  if (existing.length > 0) {
    const existingIds = existing.map((i) => (chunk[i] as Accepted).jobId);
    const read = ctx.client.pipeline();
    for (const id of existingIds) read.hmget(ctx.queue.toKey(id), 'data', 'priority');
    const [states, stored] = await Promise.all([
      readJobStates(ctx, existingIds),
      execChecked(read),
    ]);
    for (let k = 0; k < existing.length; k++) {
      const i = existing[k] as number;
      const item = chunk[i] as Accepted;
      const state = states[k]?.state ?? 'unknown';
      const [raw, rawPriority] = (stored[k]?.[1] ?? [null, null]) as [string | null, string | null];
      const { payload, progress } = parseStoredData(raw);
      const bull = Number(rawPriority);
      const priority =
        Number.isFinite(bull) && bull > 0
          ? fromBullPriority(bull)
          : (payload?.priority ?? item.payload.priority);
      const add = (id: string, p: TakedownPayload): Promise<EnqueueResult> =>
        addTakedown(ctx, id, p);
      if (state === 'unknown') {
        // Gone between addBulk and the read (or never there): retry it alone, with the same checks.
        out[i] = await addTakedown(ctx, item.jobId, item.payload);
        continue;
      }
      const plan = planMerge({ state, priority, payload, progress }, item.payload);
      out[i] =
        plan.raise || plan.key !== 'none' || plan.regions !== 'none'
          ? ((await mergeDuplicate(ctx, item.jobId, item.payload, add)) ??
            (await addTakedown(ctx, item.jobId, item.payload)))
          : { jobId: item.jobId, status: 'duplicate', state, priority, merged: [] };
    }
  }
  return out as EnqueueResult[];
}

/**
 * A second row for a job id this batch already wrote: merged like any duplicate when it asks
 * for more (a higher priority, another key, extra regions), else answered from the first row's outcome.
 */
async function sameBatchDuplicate(
  ctx: ProducerContext,
  dup: Accepted,
  first: EnqueueResult | undefined,
): Promise<EnqueueResult> {
  // A key may be new to the job (rare in a batch): the merge reads the job to tell.
  const asksMore =
    first === undefined ||
    isHigherPriority(dup.payload.priority, first.priority) ||
    dup.payload.streamKey !== undefined ||
    dup.payload.extraRegions !== undefined;
  if (asksMore) {
    const add = (id: string, p: TakedownPayload): Promise<EnqueueResult> => addTakedown(ctx, id, p);
    // The first row may have matched a job queued under its old (key-bearing) id.
    const merged = await mergeDuplicate(ctx, first?.jobId ?? dup.jobId, dup.payload, add);
    if (merged !== undefined) return merged;
  }
  return {
    jobId: first?.jobId ?? dup.jobId,
    status: 'duplicate',
    state: first?.state ?? 'waiting',
    priority: first?.priority ?? dup.payload.priority,
    merged: [],
  };
}
