/**
 * The slice of the producer the HTTP intake uses, declared here structurally so the server does
 * not depend on the producer's internals: `createProducer(...)` from src/producer satisfies it,
 * and unit tests can pass a small fake.
 */

export interface IntakeFieldError {
  field: string;
  message: string;
}

export interface IntakeEnqueueResult {
  jobId: string;
  status: 'enqueued' | 'duplicate';
  state: string;
  /** The job's priority (after merging a duplicate into it). */
  priority?: string;
  /** Duplicates: what the request changed in the existing takedown. */
  merged?: readonly string[];
  /** Duplicates: the request's key got its own takedown. */
  keyTakedown?: IntakeEnqueueResult;
  /** Duplicates: extra regions no takedown will handle. */
  unmerged?: { extraRegions: readonly string[] };
}

export interface IntakeBatchItemResult {
  /** Position in the submitted array, from 0. */
  index: number;
  /** 'enqueued' | 'duplicate' | 'rejected' (the producer's wording). */
  status: string;
  jobId?: string;
  /** The job's state, for enqueued and duplicate items. */
  state?: string;
  priority?: string;
  merged?: readonly string[];
  keyTakedown?: IntakeEnqueueResult;
  unmerged?: { extraRegions: readonly string[] };
  errors?: readonly IntakeFieldError[];
}

export interface IntakeBatchResult {
  batchId: string;
  /** Passed through as the producer reports it (e.g. {total, enqueued, duplicates, rejected}). */
  counts: object;
  results: readonly IntakeBatchItemResult[];
}

export interface ProducerLike {
  /** Validates and enqueues one takedown; throws a `ValidationError` (with `fieldErrors`) on bad input. */
  enqueue(request: unknown): Promise<IntakeEnqueueResult>;
  /** Validates each item; enqueues the valid ones under one batch id. */
  enqueueMany(
    requests: readonly unknown[],
    options?: { batchId?: string },
  ): Promise<IntakeBatchResult>;
  /** Status of one job, or progress of one batch; null (or undefined) when unknown. */
  getStatus(target: string | { batchId: string }): Promise<unknown>;
}
