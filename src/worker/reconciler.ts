import type { Job, Queue } from 'bullmq';
import { maskJobId } from '../jobs/index.js';
import type { DeadLetterEntry } from '../jobs/index.js';
import type { LoggerLike } from '../agora/index.js';
import type { DeadLetterWriter } from './dead-letter-writer.js';
import { deadLetterFromFailedJob } from './failed-job-entry.js';

export interface ReconcilerOptions {
  /** The main takedown queue (owned by the caller). */
  queue: Queue;
  deadLetters: DeadLetterWriter;
  logger: LoggerLike;
  /** Pause between passes; the first pass runs at start. */
  intervalMs: number;
  /** @defaultValue 200 */
  pageSize?: number;
  now?: () => Date;
  /** Called for each entry this reconciler wrote (metrics); must not throw. */
  onWritten?: (entry: DeadLetterEntry, job: Job) => void;
}

export interface ReconcileSummary {
  scanned: number;
  added: number;
  /** DLQ entries dropped because their takedown completed after all (see below). */
  staleRemoved: number;
}

export interface Reconciler {
  /** Runs the first pass now and then one every `intervalMs` until closed. */
  start(): void;
  /** One pass over the failed set; concurrent calls share the pass in flight. */
  runOnce(): Promise<ReconcileSummary>;
  /** Stops the timer and waits for a pass in flight. */
  close(): Promise<void>;
}

/**
 * Adds to the DLQ every job of the main queue's failed set that has no entry there: the backup
 * for the window between a job failing and its entry being written (a crash, Redis trouble), and
 * for stall failures, which no processor run sees; and drops entries whose takedown completed
 * after all. Idempotent: entries use the source job id.
 */
export function createReconciler(options: ReconcilerOptions): Reconciler {
  const { queue, deadLetters, logger, intervalMs } = options;
  const pageSize = options.pageSize ?? 200;
  const now = options.now ?? (() => new Date());
  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  let inFlight: Promise<ReconcileSummary> | undefined;

  const pass = async (): Promise<ReconcileSummary> => {
    const summary: ReconcileSummary = { scanned: 0, added: 0, staleRemoved: 0 };
    // Oldest first; a job redriven meanwhile shifts the pages, which the next pass makes up for.
    for (let start = 0; !closed; start += pageSize) {
      const jobs = await queue.getFailed(start, start + pageSize - 1);
      if (jobs.length === 0) break;
      for (const job of jobs) {
        // getFailed leaves holes for jobs removed between the range read and the fetch.
        if (job?.id === undefined) continue;
        summary.scanned++;
        if (await deadLetters.has(job.id)) continue;
        const entry = deadLetterFromFailedJob(job, { now: now() });
        if ((await deadLetters.write(entry)) === 'written') {
          summary.added++;
          try {
            options.onWritten?.(entry, job);
          } catch {
            // A metrics callback must not stop the pass.
          }
          logger.warn(
            { jobId: maskJobId(job.id), reason: entry.reason, failedStep: entry.failedStep },
            'reconciler added a failed job missing from the DLQ',
          );
        }
      }
      if (jobs.length < pageSize) break;
    }
    summary.staleRemoved = await dropStaleEntries();
    return summary;
  };

  /**
   * The other crash window: the processor writes the entry on the last attempt, then the worker
   * dies before the job is marked failed; the stall check re-runs it and it completes. Its entry
   * would then report a failure that did not happen (and keep the DLQ alert firing).
   */
  const dropStaleEntries = async (): Promise<number> => {
    const stale: string[] = [];
    for (let start = 0; !closed; start += pageSize) {
      const ids = await deadLetters.sourceIds(start, start + pageSize - 1);
      for (const id of ids) {
        if ((await queue.getJobState(id)) === 'completed') stale.push(id);
      }
      if (ids.length < pageSize) break;
    }
    let removed = 0;
    for (const id of stale) {
      if (await deadLetters.remove(id)) {
        removed++;
        logger.warn(
          { jobId: maskJobId(id) },
          'reconciler removed a DLQ entry whose takedown completed',
        );
      }
    }
    return removed;
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
    },
  };
}
