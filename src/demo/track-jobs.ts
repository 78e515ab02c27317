import type { Job, Worker } from 'bullmq';
import type { TakedownJobData, TakedownResult } from '../jobs/index.js';
import type { DemoRole, DemoState } from './demo-state.js';
import type { LiveView } from './live-view.js';
import type { DemoCast } from './scenario.js';

const ROLE_TEXT: Record<DemoRole | 'unknown', string> = {
  batch: 'a batch takedown',
  urgent: 'the urgent takedown',
  expiry: 'the scheduled expiry',
  offline: 'the takedown of the ended session',
  dlq: 'the takedown of the foreign key',
  unknown: 'a takedown',
};

function secondsAfter(at: number | undefined, from: number | undefined): string {
  return at === undefined || from === undefined ? '?' : `${((at - from) / 1000).toFixed(1)} s`;
}

/** Follows the worker's events into the demo state (and narrates the single cases). */
export function trackJobs(
  worker: Pick<Worker<unknown, TakedownResult>, 'on'>,
  state: DemoState,
  cast: DemoCast,
  view: LiveView,
): void {
  worker.on('completed', (job: Job<unknown, TakedownResult>, result: TakedownResult) => {
    const role = cast.roleOf((job.data as TakedownJobData).payload);
    const at = job.finishedOn ?? Date.now();
    state.foundByVerify += result.foundByVerify.length;
    switch (role) {
      case 'batch':
        state.batch.done += 1;
        if (result.outcome === 'taken-down') state.batch.takenDown += 1;
        state.batch.firstDoneAt ??= at;
        state.batch.lastDoneAt = at;
        if (state.batch.done === state.batch.total) {
          view.event(
            `batch finished: ${state.batch.takenDown}/${state.batch.total} taken down in ` +
              `${((at - (state.batch.firstDoneAt ?? at)) / 1000).toFixed(1)} s`,
          );
        }
        return;
      case 'urgent':
        Object.assign(state.urgent, {
          status: 'done',
          outcome: result.outcome,
          finishedAt: at,
          batchDoneAtFinish: state.batch.done,
        });
        view.event(
          `urgent takedown ${result.outcome}: cut ${result.disconnected.join(', ') || 'nothing'} ` +
            `— batch at ${state.batch.done}/${state.batch.total}`,
        );
        return;
      case 'expiry':
        Object.assign(state.expiry, {
          status: 'done',
          outcome: result.outcome,
          finishedAt: at,
          ...(job.processedOn === undefined ? {} : { startedAt: job.processedOn }),
        });
        view.event(
          `scheduled expiry ${result.outcome}: started ${secondsAfter(job.processedOn, state.expiry.dueAt)} ` +
            `after its due time, finished ${secondsAfter(at, state.expiry.dueAt)} after`,
        );
        return;
      case 'offline':
        Object.assign(state.offline, { status: 'done', outcome: result.outcome, finishedAt: at });
        view.event(`takedown of the ended session: outcome ${result.outcome}`);
        return;
      case 'dlq':
        Object.assign(state.dlq, { status: 'done', outcome: result.outcome, finishedAt: at });
        view.event(`the takedown meant to fail succeeded (${result.outcome})`);
        return;
      case undefined:
        return;
    }
  });
  worker.on('failed', (job: Job<unknown, TakedownResult> | undefined, err: Error) => {
    if (job === undefined) return;
    if (job.finishedOn === undefined) {
      state.retries += 1;
      return;
    }
    const role = cast.roleOf((job.data as TakedownJobData).payload);
    const at = job.finishedOn;
    if (role === 'batch') {
      state.batch.done += 1;
    } else if (role !== undefined) {
      Object.assign(state[role], { status: 'dead-lettered', finishedAt: at, message: err.message });
    }
    view.event(
      `${ROLE_TEXT[role ?? 'unknown']} failed for good and went to the DLQ: ${err.message}`,
    );
  });
}
