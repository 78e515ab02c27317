import type { TakedownMetrics } from '../metrics/index.js';
import type { WorkerHooks } from './worker-hooks.js';

/** The parts of the metrics the worker feeds (the Agora client feeds `recordCall` itself). */
export type WorkerMetrics = Pick<
  TakedownMetrics,
  | 'recordStep'
  | 'recordOutcome'
  | 'recordRateLimitWait'
  | 'recordReconnectsBlocked'
  | 'recordEnforcementCut'
>;

/** requestedBy of the takedowns the enforcement pipeline asks for (src/notifications). */
const ENFORCEMENT_REQUESTER_PREFIX = 'enforcement:';

/**
 * Worker hooks that feed the Prometheus instruments: step durations, rate-limiter waits, and one
 * outcome per takedown (completed with its result's outcome, or dead-lettered), timed from when
 * the job was due to when it finished.
 */
export function createMetricsHooks(metrics: WorkerMetrics): WorkerHooks {
  return {
    onStep: (step, durationMs, context) => {
      metrics.recordStep(step, durationMs);
      // The cut of a takedown an Agora event triggered: time from its enqueue (the event's
      // processing, milliseconds after it arrived) to the end of the disconnect step.
      if (
        step === 'disconnect' &&
        context?.payload.requestedBy?.startsWith(ENFORCEMENT_REQUESTER_PREFIX) === true
      ) {
        metrics.recordEnforcementCut(Date.now() - context.enqueuedAt);
      }
    },
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
