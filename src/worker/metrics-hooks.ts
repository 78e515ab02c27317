import type { TakedownMetrics } from '../metrics/index.js';
import type { WorkerHooks } from './worker-hooks.js';

/** The parts of the metrics the worker feeds (the Agora client feeds `recordCall` itself). */
export type WorkerMetrics = Pick<
  TakedownMetrics,
  'recordStep' | 'recordOutcome' | 'recordRateLimitWait' | 'recordReconnectsBlocked'
>;

/**
 * Worker hooks that feed the Prometheus instruments: step durations, rate-limiter waits, and one
 * outcome per takedown (completed with its result's outcome, or dead-lettered), timed from when
 * the job was due to when it finished.
 */
export function createMetricsHooks(metrics: WorkerMetrics): WorkerHooks {
  return {
    onStep: (step, durationMs) => metrics.recordStep(step, durationMs),
    onRateLimitWait: (appId, cls, waitedMs) => metrics.recordRateLimitWait(appId, cls, waitedMs),
    onCompleted: (result, timing) => {
      metrics.recordOutcome(result.outcome, timing.finishedAt - timing.dueAt);
      // Sessions verify found AND cut; one it found already gone (404) blocked nothing.
      const disconnected = new Set(result.disconnected);
      metrics.recordReconnectsBlocked(
        result.foundByVerify.filter((sid) => disconnected.has(sid)).length,
      );
    },
    onDeadLetter: (_entry, timing) =>
      metrics.recordOutcome('dead-lettered', timing.finishedAt - timing.dueAt),
  };
}
