import { describe, expect, it } from 'vitest';
import type { DeadLetterEntry, TakedownResult } from '../../../src/jobs/index.js';
import { createMetrics } from '../../../src/metrics/index.js';
import { createMetricsHooks, jobTiming } from '../../../src/worker/index.js';
import { parsePrometheusText, sampleValue } from '../../support/parse-prometheus-text.js';

function result(partial: Partial<TakedownResult>): TakedownResult {
  return {
    outcome: 'taken-down',
    revoked: {},
    regions: {},
    disconnected: [],
    alreadyOffline: [],
    foundByVerify: [],
    verifyRounds: 1,
    requestIds: [],
    ...partial,
  };
}

describe('jobTiming', () => {
  it('is due at enqueue time plus the initial delay', () => {
    expect(jobTiming({ id: 'j1', timestamp: 1000, opts: { delay: 500 } }, 4000)).toEqual({
      jobId: 'j1',
      dueAt: 1500,
      finishedAt: 4000,
    });
    expect(jobTiming({ id: 'j2', timestamp: 1000, opts: {} }, 1200).dueAt).toBe(1000);
  });
});

describe('createMetricsHooks', () => {
  it('records outcomes with their duration, steps, waits, and only the verify finds that were cut', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    const hooks = createMetricsHooks(metrics);
    hooks.onStep?.('resolve', 12);
    hooks.onRateLimitWait?.('app1', 'delete', 3);
    hooks.onCompleted?.(
      result({
        disconnected: ['s1', 's2', 's3'],
        alreadyOffline: ['s4'],
        foundByVerify: ['s2', 's4'],
      }),
      { jobId: 'j1', dueAt: 1000, finishedAt: 1400 },
    );
    hooks.onCompleted?.(result({ outcome: 'nothing-found' }), {
      jobId: 'j2',
      dueAt: 0,
      finishedAt: 20_000,
    });
    hooks.onDeadLetter?.({ jobId: 'j3' } as DeadLetterEntry, {
      jobId: 'j3',
      dueAt: 0,
      finishedAt: 2500,
    });

    const f = parsePrometheusText(await metrics.registry.metrics());
    expect(sampleValue(f, 'takedown_jobs_total', { outcome: 'taken-down' })).toBe(1);
    expect(sampleValue(f, 'takedown_jobs_total', { outcome: 'nothing-found' })).toBe(1);
    expect(sampleValue(f, 'takedown_jobs_total', { outcome: 'dead-lettered' })).toBe(1);
    expect(sampleValue(f, 'takedown_job_duration_seconds_count')).toBe(3);
    expect(sampleValue(f, 'takedown_job_duration_seconds_sum')).toBeCloseTo(0.4 + 20 + 2.5);
    expect(sampleValue(f, 'takedown_job_duration_seconds_bucket', { le: '0.5' })).toBe(1);
    expect(sampleValue(f, 'takedown_reconnects_blocked_total')).toBe(1);
    expect(sampleValue(f, 'takedown_step_duration_seconds_count', { step: 'resolve' })).toBe(1);
    expect(
      sampleValue(f, 'takedown_ratelimit_wait_seconds_count', { app_id: 'app1', class: 'delete' }),
    ).toBe(1);
  });
});
