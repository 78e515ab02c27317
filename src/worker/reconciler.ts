import type { Job, Queue } from 'bullmq';
import { deadLetterJobId, maskJobId, sourceJobIdOf } from '../jobs/index.js';
import type { DeadLetterEntry } from '../jobs/index.js';
import type { LoggerLike } from '../agora/index.js';
import { settleWithin } from '../redis/index.js';
import type { RedisClient } from '../redis/index.js';
import type { DeadLetterWriter } from './dead-letter-writer.js';
import { deadLetterFromFailedJob } from './failed-job-entry.js';
import { createReconcilerLock } from './reconciler-lock.js';

export interface ReconcilerOptions {
  /** The main takedown queue (owned by the caller). */
  queue: Queue;
  /** The `takedown-dlq` queue (owned by the caller). */
  dlq: Queue;
  /** A connection to the queues' Redis (the worker's): the lock, the cursor, pipelined reads. */
  redis: RedisClient;
  deadLetters: DeadLetterWriter;
  logger: LoggerLike;
  /** Pause between passes; the first pass runs at start. */
  intervalMs: number;
  /** Jobs read per page, and the size of each sweep window. @defaultValue 500 */
  pageSize?: number;
  /**
   * A failure timestamped up to this long before the newest one seen is read again next pass:
   * BullMQ scores a failure with the failing worker's clock, so it can land behind the cursor.
   * The sweep finds anything later still. @defaultValue 30000
   */
  skewMarginMs?: number;
  now?: () => Date;
  /** Called for each entry this reconciler wrote (metrics); must not throw. */
  onWritten?: (entry: DeadLetterEntry, job: Job) => void;
}

export interface ReconcileSummary {
  /** False when another worker holds the reconciler lock: this pass did nothing. */
  ran: boolean;
  /** Failed jobs checked for a DLQ entry: the failures since the cursor, plus one sweep window. */
  scanned: number;
  added: number;
  /** DLQ entries checked for a takedown that completed after all: the newest, plus one window. */
  entriesChecked: number;
  /** DLQ entries dropped because their takedown completed after all (see below). */
  staleRemoved: number;
}

export interface Reconciler {
  /** Runs the first pass now and then one every `intervalMs` until closed. */
  start(): void;
  /** One pass (or none, when another worker holds the lock); concurrent calls share it. */
  runOnce(): Promise<ReconcileSummary>;
  /** Stops the timer, waits for a pass in flight and gives up the lock. */
  close(): Promise<void>;
}

/** Where the cursor stands between passes (the hash at `<prefix>:takedown:reconciler:cursor`). */
interface Cursor {
  /** Score (finish time, ms) of the newest failure checked; -Infinity before the first pass. */
  tail: number;
  /** Rank in the failed set where the next sweep window starts. */
  sweep: number;
  /** Offset from the oldest DLQ entry where the next DLQ window starts. */
  dlq: number;
}

function readCursor(raw: Record<string, string>): Cursor {
  const num = (value: string | undefined, fallback: number): number => {
    const n = Number(value);
    return value === undefined || Number.isNaN(n) ? fallback : n;
  };
  return {
    tail: num(raw['tail'], Number.NEGATIVE_INFINITY),
    sweep: Math.max(0, Math.floor(num(raw['sweep'], 0))),
    dlq: Math.max(0, Math.floor(num(raw['dlq'], 0))),
  };
}

/** ioredis pipeline replies → values; a failed command fails the pass (the next one retries). */
function repliesOf(replies: [Error | null, unknown][] | null): unknown[] {
  return (replies ?? []).map(([err, value]) => {
    if (err) throw err;
    return value;
  });
}

/**
 * Adds to the DLQ every job of the main queue's failed set that has no entry there: the backup
 * for the window between a job failing and its entry being written (a crash, Redis trouble), and
 * for stall failures, which no processor run sees; and drops entries whose takedown completed
 * after all. Idempotent: an entry's id is its source job's (deadLetterJobId).
 *
 * Its cost does not grow with the failed set, and one worker runs it at a time:
 * - A lock (`…:reconciler:lock`, SET NX PX, extended and released by its holder's token) lets
 *   one worker run a pass. Its TTL is one interval and the holder keeps it pass after pass, so
 *   the fleet runs one pass per interval, not one per worker; another worker takes over when
 *   the holder stops or dies.
 * - A cursor in Redis (`…:reconciler:cursor`) says where the last pass stopped. Each pass reads
 *   the failures newer than the cursor (by score, in pages), one window of the failed set by
 *   rank (a sweep that wraps around, for a failure scored behind the cursor), the newest DLQ
 *   entries and one window of the DLQ. Each check is one pipelined round trip per page.
 */
export function createReconciler(options: ReconcilerOptions): Reconciler {
  const { queue, dlq, redis, deadLetters, logger, intervalMs } = options;
  const pageSize = options.pageSize ?? 500;
  const skewMarginMs = options.skewMarginMs ?? 30_000;
  const now = options.now ?? (() => new Date());
  const failedKey = queue.toKey('failed');
  const completedKey = queue.toKey('completed');
  const dlqWaitKey = dlq.toKey('wait');
  // BullMQ refuses custom ids with one ':', so no job hash can have these names.
  const cursorKey = queue.toKey('reconciler:cursor');
  const lock = createReconcilerLock({
    redis,
    key: queue.toKey('reconciler:lock'),
    ttlMs: intervalMs,
  });
  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  let inFlight: Promise<ReconcileSummary> | undefined;

  /** Writes the entries missing for failed jobs `ids` (one EXISTS each, in one round trip). */
  const ensureEntries = async (ids: readonly string[], summary: ReconcileSummary) => {
    const pipeline = redis.pipeline();
    for (const id of ids) pipeline.exists(dlq.toKey(deadLetterJobId(id)));
    const exists = repliesOf(await pipeline.exec());
    summary.scanned += ids.length;
    for (const [i, id] of ids.entries()) {
      if (exists[i] === 1 || closed) continue;
      const job = await queue.getJob(id);
      // Removed, or redriven, since the page was read.
      if (job?.id === undefined || (await redis.zscore(failedKey, id)) === null) continue;
      const entry = deadLetterFromFailedJob(job, { now: now() });
      if ((await deadLetters.write(entry)) !== 'written') continue;
      summary.added++;
      try {
        options.onWritten?.(entry, job);
      } catch {
        // A metrics callback must not stop the pass.
      }
      logger.warn(
        { jobId: maskJobId(id), reason: entry.reason, failedStep: entry.failedStep },
        'reconciler added a failed job missing from the DLQ',
      );
    }
  };

  /**
   * The next page of failures scored after `tail`: whole scores only, since the cursor is a
   * score (members of one score can straddle a page boundary).
   */
  const failuresAfter = async (
    tail: number,
  ): Promise<{ ids: string[]; lastScore: number; more: boolean }> => {
    const min = Number.isFinite(tail) ? `(${tail}` : '-inf';
    const raw = await redis.zrangebyscore(
      failedKey,
      min,
      '+inf',
      'WITHSCORES',
      'LIMIT',
      0,
      pageSize,
    );
    const page: { id: string; score: number }[] = [];
    for (let i = 0; i + 1 < raw.length; i += 2) {
      page.push({ id: raw[i] as string, score: Number(raw[i + 1]) });
    }
    const last = page.at(-1);
    if (last === undefined) return { ids: [], lastScore: tail, more: false };
    if (page.length < pageSize) {
      return { ids: page.map((p) => p.id), lastScore: last.score, more: false };
    }
    const whole = page.filter((p) => p.score < last.score);
    const lastWhole = whole.at(-1);
    if (lastWhole !== undefined) {
      return { ids: whole.map((p) => p.id), lastScore: lastWhole.score, more: true };
    }
    // A full page of one score (one millisecond): take that score whole.
    const ids = await redis.zrangebyscore(failedKey, last.score, last.score);
    return { ids, lastScore: last.score, more: true };
  };

  /**
   * The other crash window: the processor writes the entry on the last attempt, then the worker
   * dies before the job is marked failed; the stall check re-runs it and it completes. Its entry
   * would then report a failure that did not happen (and keep the DLQ alert firing). Such an
   * entry is new when it appears, so the newest entries are checked every pass; a window of the
   * rest in turn. DLQ entries are pushed at the head of the `wait` list: counted from its tail,
   * an entry keeps its offset as new ones arrive. Resolves with the next window's offset.
   */
  const dropStaleEntries = async (offset: number, summary: ReconcileSummary): Promise<number> => {
    const length = await redis.llen(dlqWaitKey);
    if (length === 0) return 0;
    const from = offset >= length ? 0 : offset;
    const windows =
      length <= pageSize
        ? [redis.lrange(dlqWaitKey, 0, -1)]
        : [
            redis.lrange(dlqWaitKey, 0, pageSize - 1),
            redis.lrange(dlqWaitKey, Math.max(0, length - from - pageSize), length - from - 1),
          ];
    const deadIds = [...new Set((await Promise.all(windows)).flat())];
    const sourceIds = deadIds.map(sourceJobIdOf);
    const pipeline = redis.pipeline();
    for (const id of sourceIds) pipeline.zscore(completedKey, id);
    const completed = repliesOf(await pipeline.exec());
    summary.entriesChecked += sourceIds.length;
    for (const [i, id] of sourceIds.entries()) {
      if (completed[i] === null || closed) continue;
      if (await deadLetters.remove(id)) {
        summary.staleRemoved++;
        logger.warn(
          { jobId: maskJobId(id) },
          'reconciler removed a DLQ entry whose takedown completed',
        );
      }
    }
    return from + pageSize >= length ? 0 : from + pageSize;
  };

  const pass = async (): Promise<ReconcileSummary> => {
    const summary: ReconcileSummary = {
      ran: false,
      scanned: 0,
      added: 0,
      entriesChecked: 0,
      staleRemoved: 0,
    };
    if (!(await lock.acquire())) return summary;
    summary.ran = true;
    let lost = false;
    // A long pass (the first one after thousands of failures) keeps its lock.
    const keepAlive = setInterval(
      () => {
        void lock.extend().then(
          (held) => {
            if (!held) lost = true;
          },
          () => undefined,
        );
      },
      Math.max(1, Math.floor(intervalMs / 3)),
    );
    keepAlive.unref();
    const active = (): boolean => !closed && !lost;
    try {
      const cursor = readCursor(await redis.hgetall(cursorKey));
      const startedAt = now().getTime();
      let tail = cursor.tail;
      while (active()) {
        const page = await failuresAfter(tail);
        if (page.ids.length > 0) await ensureEntries(page.ids, summary);
        tail = page.lastScore;
        if (!page.more) break;
      }
      let sweep = cursor.sweep;
      if (active()) {
        const window = await redis.zrange(failedKey, sweep, sweep + pageSize - 1);
        if (window.length > 0) await ensureEntries(window, summary);
        sweep = window.length < pageSize ? 0 : sweep + pageSize;
      }
      const dlqOffset = active() ? await dropStaleEntries(cursor.dlq, summary) : cursor.dlq;
      // A pass cut short (closed, lock lost) is done again next time: every check is idempotent.
      if (active()) {
        const nextTail = Math.max(cursor.tail, Math.min(tail, startedAt - skewMarginMs));
        await lock.writeWhileHeld(cursorKey, {
          tail: String(nextTail),
          sweep: String(sweep),
          dlq: String(dlqOffset),
        });
      }
    } finally {
      clearInterval(keepAlive);
    }
    return summary;
  };

  const runOnce = (): Promise<ReconcileSummary> => {
    inFlight ??= pass().finally(() => {
      inFlight = undefined;
    });
    return inFlight;
  };

  const schedule = (delayMs: number): void => {
    if (closed) return;
    timer = setTimeout(() => {
      runOnce()
        .then((s) => {
          if (s.added > 0 || s.staleRemoved > 0) logger.info({ ...s }, 'DLQ reconcile pass done');
        })
        .catch((err: unknown) => {
          logger.error({ err }, 'DLQ reconcile pass failed; trying again next interval');
        })
        .finally(() => schedule(intervalMs));
    }, delayMs);
    // The worker's own connections keep the process alive; this timer must not.
    timer.unref();
  };

  return {
    start: () => schedule(0),
    runOnce,
    close: async () => {
      closed = true;
      if (timer !== undefined) clearTimeout(timer);
      await inFlight?.catch(() => undefined);
      // Hands the lock over at once; bounded, since it cannot be released while Redis is away.
      await settleWithin(
        lock.release().catch(() => undefined),
        1000,
      );
    },
  };
}
