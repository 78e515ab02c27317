import type { Job, Queue } from 'bullmq';
import { describeCallbackUrl } from '../jobs/index.js';
import type { CallbackJobData } from './callback-job.js';

export type CallbackState = 'waiting' | 'delayed' | 'active' | 'failed';

/** One callback as `takedown callbacks list --json` prints it (the URL without its query). */
export interface CallbackListEntry {
  webhookId: string;
  type: string;
  jobId: string;
  url: string;
  state: CallbackState;
  attempts: number;
  lastError?: string;
  /** ISO 8601: when it was given up on. */
  failedAt?: string;
}

const PENDING: readonly CallbackState[] = ['waiting', 'delayed', 'active', 'failed'];

function toEntry(job: Job, state: CallbackState): CallbackListEntry {
  const data = job.data as Partial<CallbackJobData>;
  const entry: CallbackListEntry = {
    webhookId: job.id ?? '',
    type: typeof data.type === 'string' ? data.type : 'unknown',
    jobId: typeof data.takedownJobId === 'string' ? data.takedownJobId : '',
    url: typeof data.url === 'string' ? describeCallbackUrl(data.url) : '(none)',
    state,
    attempts: job.attemptsMade,
  };
  if (job.failedReason) entry.lastError = job.failedReason;
  if (state === 'failed' && job.finishedOn !== undefined)
    entry.failedAt = new Date(job.finishedOn).toISOString();
  return entry;
}

/**
 * Callbacks not delivered yet, or (`failedOnly`) the ones given up on: newest first, at most
 * `limit` per state.
 */
export async function listCallbacks(
  queue: Queue,
  options: { failedOnly?: boolean; limit?: number } = {},
): Promise<CallbackListEntry[]> {
  const limit = options.limit ?? 100;
  const states = options.failedOnly === true ? (['failed'] as const) : PENDING;
  const out: CallbackListEntry[] = [];
  for (const state of states) {
    const jobs = await queue.getJobs([state], 0, limit - 1, false);
    for (const job of jobs) if (job !== undefined) out.push(toEntry(job, state));
  }
  return out;
}
