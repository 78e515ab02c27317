import type { TakedownOutcome } from '../jobs/index.js';

/** The demo's use cases; every takedown job the demo enqueues plays exactly one of them. */
export type DemoRole = 'batch' | 'urgent' | 'expiry' | 'offline' | 'dlq';

export type CaseStatus = 'waiting' | 'scheduled' | 'queued' | 'done' | 'dead-lettered';

export interface CaseState {
  status: CaseStatus;
  outcome?: TakedownOutcome;
  /** Epoch ms. */
  enqueuedAt?: number;
  finishedAt?: number;
}

/** What the live view shows and the summary reports; written by run-demo only. */
export interface DemoState {
  /** Epoch ms. */
  startedAt: number;
  /** One line: what the demo is doing now. */
  phase: string;
  batch: {
    total: number;
    enqueued: number;
    done: number;
    takenDown: number;
    /** Epoch ms of the first and last batch completion. */
    firstDoneAt?: number;
    lastDoneAt?: number;
  };
  urgent: CaseState & {
    /** Batch takedowns done when the urgent one was enqueued / finished. */
    batchDoneAtEnqueue?: number;
    batchDoneAtFinish?: number;
  };
  expiry: CaseState & { dueAt?: number; /** When a worker picked it up. */ startedAt?: number };
  offline: CaseState;
  dlq: CaseState & { message?: string };
  /** Sessions the verify step found (reconnects that slipped in) and cut. */
  foundByVerify: number;
  /** Failed attempts that BullMQ retried (a transient error, not a takedown failure). */
  retries: number;
  sim: {
    liveStreams: number;
    reconnects: number;
    refusedReconnects: number;
    calls: number;
    tooManyRequests: number;
  };
}

export function initialDemoState(startedAt: number, batchTotal: number): DemoState {
  return {
    startedAt,
    phase: 'starting',
    batch: { total: batchTotal, enqueued: 0, done: 0, takenDown: 0 },
    urgent: { status: 'waiting' },
    expiry: { status: 'waiting' },
    offline: { status: 'waiting' },
    dlq: { status: 'waiting' },
    foundByVerify: 0,
    retries: 0,
    sim: { liveStreams: 0, reconnects: 0, refusedReconnects: 0, calls: 0, tooManyRequests: 0 },
  };
}

/** Every takedown the demo started has finished (done or dead-lettered). */
export function allFinished(state: DemoState): boolean {
  const finished = (c: CaseState): boolean => c.status === 'done' || c.status === 'dead-lettered';
  return (
    state.batch.enqueued === state.batch.total &&
    state.batch.done === state.batch.total &&
    finished(state.urgent) &&
    finished(state.expiry) &&
    finished(state.offline) &&
    finished(state.dlq)
  );
}
