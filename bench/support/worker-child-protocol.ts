/** Messages between the bench (parent) and a worker child (bench/support/worker-child.ts). */

/** `takedown`: the project's worker (createTakedownWorker). `bare`: a plain BullMQ Worker making the same three calls (query SID, revoke, disconnect). */
export type WorkerKind = 'takedown' | 'bare';

export interface InitMessage {
  type: 'init';
  kind: WorkerKind;
  /** Env for loadConfig (REDIS_URL, TAKEDOWN_PREFIX, AGORA_*, WORKER_CONCURRENCY, ...). */
  env: Record<string, string>;
  /**
   * Limiter off (every limit 0: no Redis round trip). The config cannot say this (its limits are
   * ≥ 1), the limiter can.
   */
  limiterOff: boolean;
  /** The limiter's maxHoldMs (not in the config; its default otherwise). For experiments. */
  limiterMaxHoldMs?: number;
}

/** Resume the (paused) queue and report when `target` jobs have completed in this child. */
export interface RunMessage {
  type: 'run';
  target: number;
  /** Resume the queue first (the parent enqueued into a paused queue). */
  resume: boolean;
}

/** Force a GC, then report memory. */
export interface SampleMessage {
  type: 'sample';
}

export interface CloseMessage {
  type: 'close';
}

export type ParentMessage = InitMessage | RunMessage | SampleMessage | CloseMessage;

export interface ReadyMessage {
  type: 'ready';
}

export interface RunResultMessage {
  type: 'run-result';
  /** Completed jobs counted since the run started. */
  completed: number;
  failed: number;
  firstFailure?: string;
  /** Wall time from the start of the run to the target-th completion. */
  elapsedMs: number;
  /** process.cpuUsage delta (user + system) over the same span, µs. */
  cpuUs: number;
}

export interface SampleResultMessage {
  type: 'sample-result';
  rss: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
  arrayBuffers: number;
  totalCompleted: number;
}

export interface ErrorMessage {
  type: 'error';
  message: string;
}

export interface ClosedMessage {
  type: 'closed';
}

export type ChildMessage =
  ReadyMessage | RunResultMessage | SampleResultMessage | ErrorMessage | ClosedMessage;
