import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createMetrics, OTHER_APP_ID } from '../../../src/metrics/index.js';
import type { QueueCounts } from '../../../src/metrics/index.js';
import { parsePrometheusText, sampleValue } from '../../support/parse-prometheus-text.js';
import type { MetricFamily } from '../../support/parse-prometheus-text.js';

async function scrape(metrics: { registry: Registry }): Promise<Map<string, MetricFamily>> {
  return parsePrometheusText(await metrics.registry.metrics());
}

const EXPECTED_FAMILIES: Record<string, string> = {
  takedown_jobs_total: 'counter',
  takedown_job_duration_seconds: 'histogram',
  takedown_step_duration_seconds: 'histogram',
  agora_requests_total: 'counter',
  agora_request_duration_seconds: 'histogram',
  takedown_ratelimit_wait_seconds: 'histogram',
  takedown_reconnects_blocked_total: 'counter',
  takedown_queue_jobs: 'gauge',
  takedown_dlq_jobs: 'gauge',
  takedown_queue_counts_errors_total: 'counter',
};

describe('createMetrics', () => {
  it('exposes every instrument with its type, plus the default process metrics, as valid Prometheus text', async () => {
    const families = await scrape(createMetrics());
    for (const [name, type] of Object.entries(EXPECTED_FAMILIES)) {
      expect(families.get(name)?.type, name).toBe(type);
      expect(families.get(name)?.help, name).not.toBe('');
    }
    expect(families.get('process_cpu_user_seconds_total')?.type).toBe('counter');
    expect(families.get('nodejs_heap_size_used_bytes')?.type).toBe('gauge');
  });

  it('starts every outcome at 0 and counts outcomes with their durations', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    let families = await scrape(metrics);
    for (const outcome of ['taken-down', 'already-offline', 'nothing-found', 'dead-lettered']) {
      expect(sampleValue(families, 'takedown_jobs_total', { outcome })).toBe(0);
    }
    metrics.recordOutcome('taken-down', 1500);
    metrics.recordOutcome('taken-down', 2500);
    metrics.recordOutcome('already-offline', 200);
    metrics.recordOutcome('dead-lettered', 90_000);
    families = await scrape(metrics);
    expect(sampleValue(families, 'takedown_jobs_total', { outcome: 'taken-down' })).toBe(2);
    expect(sampleValue(families, 'takedown_jobs_total', { outcome: 'already-offline' })).toBe(1);
    expect(sampleValue(families, 'takedown_jobs_total', { outcome: 'nothing-found' })).toBe(0);
    expect(sampleValue(families, 'takedown_jobs_total', { outcome: 'dead-lettered' })).toBe(1);
    expect(sampleValue(families, 'takedown_job_duration_seconds_count')).toBe(4);
    expect(sampleValue(families, 'takedown_job_duration_seconds_sum')).toBeCloseTo(94.2, 6);
    expect(sampleValue(families, 'takedown_job_duration_seconds_bucket', { le: '2' })).toBe(2);
    expect(sampleValue(families, 'takedown_job_duration_seconds_bucket', { le: '3' })).toBe(3);
  });

  it('counts Agora calls by op and status (0 = no response) and observes their duration by op', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    const base = { appId: 'app1', region: 'na' as const, requestId: 'r' };
    metrics.recordCall({ ...base, op: 'delete-key', status: 200, durationMs: 40 });
    metrics.recordCall({ ...base, op: 'delete-key', status: 404, durationMs: 30 });
    metrics.recordCall({ ...base, op: 'delete-key', status: 200, durationMs: 20 });
    metrics.recordCall({ ...base, op: 'disconnect', status: 0, durationMs: 10_000 });
    metrics.recordCall({ ...base, op: 'disconnect', status: 429, durationMs: 5 });
    const families = await scrape(metrics);
    expect(sampleValue(families, 'agora_requests_total', { op: 'delete-key', status: '200' })).toBe(
      2,
    );
    expect(sampleValue(families, 'agora_requests_total', { op: 'delete-key', status: '404' })).toBe(
      1,
    );
    expect(sampleValue(families, 'agora_requests_total', { op: 'disconnect', status: '0' })).toBe(
      1,
    );
    expect(sampleValue(families, 'agora_requests_total', { op: 'disconnect', status: '429' })).toBe(
      1,
    );
    expect(
      sampleValue(families, 'agora_request_duration_seconds_count', { op: 'delete-key' }),
    ).toBe(3);
    expect(
      sampleValue(families, 'agora_request_duration_seconds_sum', { op: 'delete-key' }),
    ).toBeCloseTo(0.09, 9);
    expect(
      sampleValue(families, 'agora_request_duration_seconds_count', { op: 'disconnect' }),
    ).toBe(2);
  });

  it('observes step durations by step, with every step series present from the start', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    let families = await scrape(metrics);
    for (const step of ['resolve', 'revoke-key', 'disconnect', 'verify']) {
      expect(sampleValue(families, 'takedown_step_duration_seconds_count', { step })).toBe(0);
    }
    metrics.recordStep('revoke-key', 12);
    metrics.recordStep('verify', 2100);
    metrics.recordStep('verify', 2050);
    families = await scrape(metrics);
    expect(
      sampleValue(families, 'takedown_step_duration_seconds_count', { step: 'revoke-key' }),
    ).toBe(1);
    expect(sampleValue(families, 'takedown_step_duration_seconds_count', { step: 'verify' })).toBe(
      2,
    );
    expect(
      sampleValue(families, 'takedown_step_duration_seconds_bucket', { step: 'verify', le: '2.5' }),
    ).toBe(2);
  });

  it('keeps label values bounded: unknown op/step/class become "unknown", odd statuses "0", App IDs capped to "other"', async () => {
    const metrics = createMetrics({ defaultMetrics: false, maxAppIds: 2 });
    const base = { appId: 'a', region: 'na' as const, requestId: 'r', durationMs: 1 };
    // Values outside the typed lists, as a caller bypassing the types could pass.
    metrics.recordCall({ ...base, op: 'sid-1234' as never, status: 1234 });
    metrics.recordStep('sid-5678' as never, 5);
    metrics.recordRateLimitWait('app1', 'delete', 10);
    metrics.recordRateLimitWait('app2', 'query', 10);
    metrics.recordRateLimitWait('app3', 'delete', 10);
    metrics.recordRateLimitWait('app1', 'delete', 30);
    metrics.recordRateLimitWait('app4', 'bogus' as never, 10);
    const families = await scrape(metrics);
    expect(sampleValue(families, 'agora_requests_total', { op: 'unknown', status: '0' })).toBe(1);
    expect(sampleValue(families, 'takedown_step_duration_seconds_count', { step: 'unknown' })).toBe(
      1,
    );
    expect(
      sampleValue(families, 'takedown_ratelimit_wait_seconds_count', {
        app_id: 'app1',
        class: 'delete',
      }),
    ).toBe(2);
    expect(
      sampleValue(families, 'takedown_ratelimit_wait_seconds_sum', {
        app_id: 'app1',
        class: 'delete',
      }),
    ).toBeCloseTo(0.04, 9);
    expect(
      sampleValue(families, 'takedown_ratelimit_wait_seconds_count', {
        app_id: 'app2',
        class: 'query',
      }),
    ).toBe(1);
    expect(
      sampleValue(families, 'takedown_ratelimit_wait_seconds_count', {
        app_id: OTHER_APP_ID,
        class: 'delete',
      }),
    ).toBe(1);
    expect(
      sampleValue(families, 'takedown_ratelimit_wait_seconds_count', {
        app_id: OTHER_APP_ID,
        class: 'unknown',
      }),
    ).toBe(1);
    const appIds = new Set(
      families.get('takedown_ratelimit_wait_seconds')?.samples.map((s) => s.labels.app_id),
    );
    expect([...appIds].sort()).toEqual(['app1', 'app2', OTHER_APP_ID]);
  });

  it('counts reconnects blocked, ignoring non-positive values', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    metrics.recordReconnectsBlocked(2);
    metrics.recordReconnectsBlocked(0);
    metrics.recordReconnectsBlocked(-1);
    metrics.recordReconnectsBlocked(1);
    expect(sampleValue(await scrape(metrics), 'takedown_reconnects_blocked_total')).toBe(3);
  });

  it('reads the queue gauges once per scrape from the registered reader', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    let families = await scrape(metrics);
    // No reader yet: no samples (NaN for the unlabelled DLQ gauge) rather than made-up zeros.
    expect(families.get('takedown_queue_jobs')?.samples).toEqual([]);
    expect(sampleValue(families, 'takedown_dlq_jobs')).toBeNaN();

    let calls = 0;
    let counts: QueueCounts = {
      takedown: { waiting: 5, active: 2, delayed: 1, prioritized: 7, failed: 3, completed: 40 },
      dlq: { waiting: 3 },
    };
    metrics.collectQueueCounts(() => {
      calls++;
      return Promise.resolve(counts);
    });
    families = await scrape(metrics);
    expect(calls).toBe(1);
    expect(
      sampleValue(families, 'takedown_queue_jobs', { queue: 'takedown', state: 'waiting' }),
    ).toBe(5);
    expect(
      sampleValue(families, 'takedown_queue_jobs', { queue: 'takedown', state: 'prioritized' }),
    ).toBe(7);
    expect(
      sampleValue(families, 'takedown_queue_jobs', { queue: 'takedown', state: 'completed' }),
    ).toBe(40);
    expect(
      sampleValue(families, 'takedown_queue_jobs', { queue: 'takedown-dlq', state: 'waiting' }),
    ).toBe(3);
    expect(
      sampleValue(families, 'takedown_queue_jobs', { queue: 'takedown-dlq', state: 'failed' }),
    ).toBe(0);
    expect(families.get('takedown_queue_jobs')?.samples).toHaveLength(12);
    expect(sampleValue(families, 'takedown_dlq_jobs')).toBe(3);

    counts = { takedown: {}, dlq: { waiting: 1, completed: 1 } };
    families = await scrape(metrics);
    expect(calls).toBe(2);
    expect(
      sampleValue(families, 'takedown_queue_jobs', { queue: 'takedown', state: 'waiting' }),
    ).toBe(0);
    expect(sampleValue(families, 'takedown_dlq_jobs')).toBe(2);
  });

  it('leaves the queue gauges empty (DLQ depth NaN) and counts an error when the reader fails or hangs', async () => {
    const metrics = createMetrics({ defaultMetrics: false, queueCountsTimeoutMs: 50 });
    metrics.collectQueueCounts(() =>
      Promise.resolve({ takedown: { waiting: 1 }, dlq: { waiting: 4 } }),
    );
    expect(sampleValue(await scrape(metrics), 'takedown_dlq_jobs')).toBe(4);

    metrics.collectQueueCounts(() => Promise.reject(new Error('Connection is closed.')));
    let families = await scrape(metrics);
    expect(families.get('takedown_queue_jobs')?.samples).toEqual([]);
    expect(sampleValue(families, 'takedown_dlq_jobs')).toBeNaN();
    expect(sampleValue(families, 'takedown_queue_counts_errors_total')).toBe(1);

    metrics.collectQueueCounts(() => new Promise<QueueCounts>(() => undefined));
    const started = Date.now();
    families = await scrape(metrics);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(sampleValue(families, 'takedown_dlq_jobs')).toBeNaN();
    expect(sampleValue(families, 'takedown_queue_counts_errors_total')).toBe(2);
  });

  it('registers on a given registry, and two instances on separate registries do not interfere', async () => {
    const registry = new Registry();
    const a = createMetrics({ registry, defaultMetrics: false });
    const b = createMetrics({ defaultMetrics: false });
    expect(a.registry).toBe(registry);
    a.recordReconnectsBlocked(5);
    expect(sampleValue(await scrape(a), 'takedown_reconnects_blocked_total')).toBe(5);
    expect(sampleValue(await scrape(b), 'takedown_reconnects_blocked_total')).toBe(0);
  });
});

describe('parsePrometheusText (the checker itself)', () => {
  it('rejects malformed exposition text', () => {
    expect(() => parsePrometheusText('x 1')).toThrow(/newline/);
    expect(() => parsePrometheusText('x 1\n')).toThrow(/no preceding # TYPE/);
    expect(() => parsePrometheusText('# TYPE x counter\nx{a="1} 1\n')).toThrow(/unterminated/);
    expect(() => parsePrometheusText('# TYPE x counter\nx abc\n')).toThrow(/bad value/);
    expect(() => parsePrometheusText('# TYPE x counter\nx 1\nx 2\n')).toThrow(/duplicate series/);
    expect(() =>
      parsePrometheusText(
        '# TYPE h histogram\nh_bucket{le="1"} 2\nh_bucket{le="+Inf"} 1\nh_sum 1\nh_count 1\n',
      ),
    ).toThrow(/cumulative/);
    expect(() =>
      parsePrometheusText('# TYPE h histogram\nh_bucket{le="+Inf"} 2\nh_sum 1\nh_count 1\n'),
    ).toThrow(/_count/);
  });
});
