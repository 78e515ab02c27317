import { deadLetterJobId } from '../jobs/index.js';
import type { ProducerContext } from './producer-context.js';

/**
 * The states a takedown is reported in (DESIGN §4 `status --json`). BullMQ's `prioritized` and
 * `waiting-children` are both "not started yet" and reported as `waiting`; a failed job that has
 * its DLQ entry is `dead-lettered`.
 */
export type TakedownState =
  'waiting' | 'delayed' | 'active' | 'completed' | 'failed' | 'dead-lettered';

export interface JobStateInfo {
  /** `unknown`: no such job in the queue and no DLQ entry. */
  state: TakedownState | 'unknown';
  /** When a delayed job is due (ms epoch). */
  dueAt?: number;
}

// BullMQ's delayed score is `timestamp * 0x1000 + counter` (commands/includes/getDelayedScore.lua).
const DELAYED_SCORE_FACTOR = 0x1000;
const COMMANDS_PER_ID = 7;

/** When a job whose delayed-set score is `score` is due (ms epoch). */
export function dueAtFromDelayedScore(score: number): number {
  return Math.floor(score / DELAYED_SCORE_FACTOR);
}

/**
 * The states of many jobs in one round trip. Mirrors BullMQ's getState script (completed, failed,
 * delayed, prioritized sets, then the active list; anything else that exists is waiting) but for
 * a whole chunk at once, inside MULTI so each job is read at one instant.
 */
export async function readJobStates(
  ctx: ProducerContext,
  ids: readonly string[],
): Promise<JobStateInfo[]> {
  if (ids.length === 0) return [];
  const completed = ctx.queue.toKey('completed');
  const failed = ctx.queue.toKey('failed');
  const delayed = ctx.queue.toKey('delayed');
  const prioritized = ctx.queue.toKey('prioritized');
  const active = ctx.queue.toKey('active');
  const multi = ctx.client.multi();
  for (const id of ids) {
    multi
      .zscore(completed, id)
      .zscore(failed, id)
      .zscore(delayed, id)
      .zscore(prioritized, id)
      .lpos(active, id)
      .exists(ctx.queue.toKey(id))
      .exists(ctx.dlq.toKey(deadLetterJobId(id)));
  }
  const replies = await multi.exec();
  if (replies === null) throw new Error('Redis aborted the state read (MULTI returned null)');
  const out: JobStateInfo[] = [];
  for (let i = 0; i < ids.length; i++) {
    const base = i * COMMANDS_PER_ID;
    const value = (offset: number): unknown => {
      const reply = replies[base + offset];
      if (reply === undefined) return null;
      const [err, result] = reply;
      if (err) throw err;
      return result;
    };
    const inDlq = value(6) === 1;
    if (value(0) !== null) out.push({ state: 'completed' });
    else if (value(1) !== null) out.push({ state: inDlq ? 'dead-lettered' : 'failed' });
    else if (value(2) !== null) {
      out.push({ state: 'delayed', dueAt: dueAtFromDelayedScore(Number(value(2))) });
    } else if (value(3) !== null) out.push({ state: 'waiting' });
    else if (value(4) !== null) out.push({ state: 'active' });
    else if (value(5) === 1) out.push({ state: 'waiting' });
    else if (inDlq) out.push({ state: 'dead-lettered' });
    else out.push({ state: 'unknown' });
  }
  return out;
}

/** One job's state (see readJobStates). */
export async function readJobState(ctx: ProducerContext, id: string): Promise<JobStateInfo> {
  const [info] = await readJobStates(ctx, [id]);
  return info ?? { state: 'unknown' };
}
