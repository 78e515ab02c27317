import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  fromBullPriority,
  isHigherPriority,
  parseTakedownProgress,
  takedownJobId,
  toBullPriority,
} from '../jobs/index.js';
import type { Region } from '../agora/index.js';
import type {
  TakedownJobData,
  TakedownPayload,
  TakedownPriority,
  TakedownProgress,
} from '../jobs/index.js';
import type { EnqueueResult, MergeChange } from './enqueue-result.js';
import { readJobState } from './job-state.js';
import type { TakedownState } from './job-state.js';
import type { ProducerContext } from './producer-context.js';

/**
 * Merging a repeated or corrected request into the takedown that already holds its job id
 * (issue "a repeated or corrected request never weakens a takedown"):
 * - priority only ever rises: a waiting job is re-queued at the new priority, a delayed one
 *   (backoff, park, settle) is made runnable now, an active one has its priority field raised
 *   (the worker reads it before it would let the limiter park the job);
 * - a stream key the job does not know is written into the payload while the job is pending
 *   and has not passed `revoke-key`; otherwise the key gets its own takedown.
 * - extra regions the job does not have are added to its payload while the job is pending and
 *   has not passed `extra-regions` (where they are revoked); otherwise the key (the request's or
 *   the one the job knows) gets its own takedown with them, and when there is none to give (no
 *   key known, or the job is that key's own takedown) the answer lists them as `unmerged`.
 *
 * Race-free: producers take a short per-job lock (so two urgent requests make one upgrade and
 * lose no key), and the payload is rewritten by a compare-and-set that also requires the job
 * to still be pending, so a worker that picked it up in between never has its data changed
 * under it (the key then gets its own takedown instead).
 */

/** What the stored job says, as far as a merge cares. */
export interface StoredJob {
  state: TakedownState;
  priority: TakedownPriority;
  payload: TakedownPayload | undefined;
  progress: TakedownProgress | undefined;
}

export interface MergePlan {
  raise: boolean;
  /** `merge`: write it into the payload; `own`: give it its own takedown. */
  key: 'none' | 'merge' | 'own';
  /**
   * The request's extra regions the job does not have: `merge` into the payload, `own` with the
   * key's own takedown, `unmerged` when neither is possible. `none` when there are none (or the
   * key's own takedown already carries them).
   */
  regions: 'none' | 'merge' | 'own' | 'unmerged';
  newRegions: Region[];
}

const PENDING: readonly TakedownState[] = ['waiting', 'delayed'];
const FINISHED: readonly TakedownState[] = ['completed', 'failed', 'dead-lettered'];

/** The key the job works on: the one it was given, or the one it learned from the SID. */
export function knownKey(stored: Pick<StoredJob, 'payload' | 'progress'>): string | undefined {
  return stored.payload?.streamKey ?? stored.progress?.streamKey;
}

/** Steps before which new extra regions still take effect in the job (revoked in `extra-regions`). */
const BEFORE_EXTRA_REGIONS: readonly string[] = [
  'resolve',
  'revoke-key',
  'disconnect',
  'extra-regions',
];

/** Pure: what a request changes in a stored job. */
export function planMerge(stored: StoredJob, request: TakedownPayload): MergePlan {
  const finished = FINISHED.includes(stored.state);
  const raise = !finished && isHigherPriority(request.priority, stored.priority);
  let key: MergePlan['key'] = 'none';
  const wanted = request.streamKey;
  if (wanted !== undefined) {
    const known = knownKey(stored);
    if (known === wanted) key = 'none';
    else if (
      known === undefined &&
      stored.payload !== undefined &&
      PENDING.includes(stored.state) &&
      (stored.progress === undefined ||
        stored.progress.step === 'resolve' ||
        stored.progress.step === 'revoke-key')
    ) {
      key = 'merge';
    } else key = 'own';
  }
  const jobRegion = stored.payload?.region ?? request.region;
  const have = stored.payload?.extraRegions ?? [];
  const newRegions = (request.extraRegions ?? []).filter(
    (r) => r !== jobRegion && !have.includes(r),
  );
  let regions: MergePlan['regions'] = 'none';
  if (newRegions.length > 0 && key !== 'own') {
    if (
      stored.payload !== undefined &&
      PENDING.includes(stored.state) &&
      (stored.progress === undefined || BEFORE_EXTRA_REGIONS.includes(stored.progress.step))
    ) {
      regions = 'merge';
    } else {
      regions = (wanted ?? knownKey(stored)) === undefined ? 'unmerged' : 'own';
    }
  }
  return { raise, key, regions, newRegions };
}

/** Reads the parts of a stored job's `data` a merge needs; undefined members when unreadable. */
export function parseStoredData(raw: string | null): {
  data: Record<string, unknown> | undefined;
  payload: TakedownPayload | undefined;
  progress: TakedownProgress | undefined;
} {
  if (raw === null) return { data: undefined, payload: undefined, progress: undefined };
  try {
    const data = JSON.parse(raw) as unknown;
    if (typeof data !== 'object' || data === null || Array.isArray(data)) {
      return { data: undefined, payload: undefined, progress: undefined };
    }
    const record = data as Partial<TakedownJobData> & Record<string, unknown>;
    const payload =
      typeof record.payload === 'object' && record.payload !== null ? record.payload : undefined;
    return { data: record, payload, progress: parseTakedownProgress(record.progress) };
  } catch {
    return { data: undefined, payload: undefined, progress: undefined };
  }
}

/**
 * Rewrites `data` only when it is still exactly what we read and the job is still pending
 * (prioritized, waiting or delayed): 1 written, 0 data changed, -1 no longer pending.
 */
const CAS_PENDING_DATA_LUA = `
local id = ARGV[1]
if not redis.call('ZSCORE', KEYS[2], id) and not redis.call('ZSCORE', KEYS[3], id)
  and not redis.call('LPOS', KEYS[4], id) then
  return -1
end
if redis.call('HGET', KEYS[1], 'data') ~= ARGV[2] then return 0 end
redis.call('HSET', KEYS[1], 'data', ARGV[3])
return 1
`;

const RELEASE_LOCK_LUA = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

/** A producer holds a job's merge lock this long at most (it expires if the producer dies). */
const LOCK_TTL_MS = 5000;
const LOCK_WAIT_MS = 4000;
const LOCK_POLL_MS = 10;
const MAX_ROUNDS = 4;

async function withMergeLock<T>(
  ctx: ProducerContext,
  jobId: string,
  work: () => Promise<T>,
): Promise<T> {
  const key = ctx.queue.toKey(`${jobId}:merge`);
  const token = randomBytes(9).toString('base64url');
  const deadline = Date.now() + LOCK_WAIT_MS;
  while ((await ctx.client.set(key, token, 'PX', LOCK_TTL_MS, 'NX')) !== 'OK') {
    if (Date.now() > deadline) {
      throw new Error(`another request for ${jobId} is being merged; try again`);
    }
    await sleep(LOCK_POLL_MS);
  }
  try {
    return await work();
  } finally {
    await ctx.client.eval(RELEASE_LOCK_LUA, 1, key, token).catch(() => undefined);
  }
}

async function readStored(
  ctx: ProducerContext,
  jobId: string,
): Promise<
  (StoredJob & { raw: string | null; data: Record<string, unknown> | undefined }) | undefined
> {
  const [info, [raw, rawPriority]] = await Promise.all([
    readJobState(ctx, jobId),
    ctx.client.hmget(ctx.queue.toKey(jobId), 'data', 'priority'),
  ]);
  if (info.state === 'unknown') return undefined;
  const { data, payload, progress } = parseStoredData(raw ?? null);
  const bull = rawPriority === null || rawPriority === undefined ? NaN : Number(rawPriority);
  const priority =
    Number.isFinite(bull) && bull > 0 ? fromBullPriority(bull) : (payload?.priority ?? 'normal');
  return { state: info.state, priority, payload, progress, raw: raw ?? null, data };
}

/**
 * The request's key (or the key the job knows) as a takedown of its own, with the request's
 * regions (the SID stays in it: the worker checks the pair).
 */
function keyTakedownOf(
  request: TakedownPayload,
  streamKey: string,
): { jobId: string; payload: TakedownPayload } {
  return {
    jobId: takedownJobId({ appId: request.appId, streamKey }),
    payload: { ...request, streamKey },
  };
}

export type AddTakedown = (jobId: string, payload: TakedownPayload) => Promise<EnqueueResult>;

/**
 * Merges `request` into the existing job `jobId` and answers as a duplicate. Undefined when the
 * job vanished meanwhile (the caller adds it again). `addTakedown` adds the key's own takedown.
 */
export async function mergeDuplicate(
  ctx: ProducerContext,
  jobId: string,
  request: TakedownPayload,
  addTakedown: AddTakedown,
): Promise<EnqueueResult | undefined> {
  return withMergeLock(ctx, jobId, async () => {
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const stored = await readStored(ctx, jobId);
      if (stored === undefined) return undefined;
      const plan = planMerge(stored, request);
      const merged: MergeChange[] = [];
      const priority = plan.raise ? request.priority : stored.priority;

      const rewrite =
        (plan.key === 'merge' || plan.regions === 'merge' || plan.raise) &&
        PENDING.includes(stored.state) &&
        stored.data !== undefined &&
        stored.payload !== undefined &&
        stored.raw !== null;
      if (rewrite) {
        const payload: TakedownPayload = { ...(stored.payload as TakedownPayload), priority };
        if (plan.key === 'merge') payload.streamKey = request.streamKey as string;
        if (plan.regions === 'merge') {
          payload.extraRegions = [...(payload.extraRegions ?? []), ...plan.newRegions];
        }
        const next = JSON.stringify({ ...stored.data, payload });
        const written = await ctx.client.eval(
          CAS_PENDING_DATA_LUA,
          4,
          ctx.queue.toKey(jobId),
          ctx.queue.toKey('prioritized'),
          ctx.queue.toKey('delayed'),
          ctx.queue.toKey('wait'),
          jobId,
          stored.raw as string,
          next,
        );
        if (written !== 1) continue; // a worker took it (or it moved on): decide again
        if (plan.key === 'merge') merged.push('streamKey');
        if (plan.regions === 'merge') merged.push('extraRegions');
      }

      if (plan.raise) {
        const job = await ctx.queue.getJob(jobId);
        if (job !== undefined) {
          await job.changePriority({ priority: toBullPriority(priority) });
          merged.unshift('priority');
          // Backoff, park or settle: runnable now. Not delayed any more (a worker took it, or
          // it came due) is fine: it runs at the new priority either way.
          if (stored.state === 'delayed') await job.promote().catch(() => undefined);
        }
      }

      let keyTakedown: EnqueueResult | undefined;
      let unmerged = plan.regions === 'unmerged';
      const ownKey = plan.key === 'own' ? request.streamKey : undefined;
      const regionKey =
        plan.regions === 'own' ? (request.streamKey ?? knownKey(stored)) : undefined;
      const giveOwn = ownKey ?? regionKey;
      if (giveOwn !== undefined) {
        const own = keyTakedownOf(request, giveOwn);
        // The job is that key's own takedown already: there is no other job to give the regions.
        if (own.jobId === jobId) unmerged = true;
        else keyTakedown = await addTakedown(own.jobId, own.payload);
      }

      const state = merged.length > 0 ? (await readJobState(ctx, jobId)).state : stored.state;
      const result: EnqueueResult = {
        jobId,
        status: 'duplicate',
        state: state === 'unknown' ? stored.state : state,
        priority,
        merged,
      };
      if (keyTakedown !== undefined) result.keyTakedown = keyTakedown;
      if (unmerged) result.unmerged = { extraRegions: plan.newRegions };
      if (unmerged) {
        ctx.logger.warn(
          { jobId, state: result.state, extraRegions: plan.newRegions },
          'duplicate request: its extra regions were not merged (the takedown is past them and no other takedown can take them)',
        );
      }
      if (merged.length > 0 || keyTakedown !== undefined) {
        ctx.logger.info(
          {
            jobId,
            state: result.state,
            priority,
            merged,
            ...(keyTakedown === undefined ? {} : { keyJobId: keyTakedown.jobId }),
          },
          'duplicate request merged into the existing takedown',
        );
      }
      return result;
    }
    throw new Error(`job ${jobId} kept changing while a duplicate was merged into it; try again`);
  });
}
