import type { Region } from '../agora/index.js';
import type { TakedownPriority } from '../jobs/index.js';
import type { TakedownState } from './job-state.js';

/** What a duplicate request changed in the existing takedown. */
export type MergeChange = 'priority' | 'streamKey' | 'extraRegions';

export interface EnqueueResult {
  jobId: string;
  /** `duplicate`: a job with this id already existed; the request was merged into it. */
  status: 'enqueued' | 'duplicate';
  /** The state of the job now: the new one, or the existing one for a duplicate. */
  state: TakedownState;
  /** The job's priority now (after the merge, for a duplicate). */
  priority: TakedownPriority;
  /** Duplicates only: what the request changed (empty when the job already had it all). */
  merged?: MergeChange[];
  /**
   * Duplicates only: the request named a stream key the job could no longer take (it was past
   * `revoke-key`, running, finished, or had another key), so the key got its own takedown.
   */
  keyTakedown?: EnqueueResult;
  /**
   * Duplicates only: extra regions the request named that no takedown will handle — the job is
   * past `extra-regions` (running it, or finished) and there is no key to give a takedown of its
   * own (none known, or this job is the key's own takedown). Nothing was queued for them.
   */
  unmerged?: { extraRegions: Region[] };
}
