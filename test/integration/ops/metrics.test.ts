import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { parsePrometheusText, sampleValue } from '../../support/parse-prometheus-text.js';
import type { MetricFamily } from '../../support/parse-prometheus-text.js';
import { waitFor } from '../../support/wait-for.js';
import { APP_ID, createOpsWorld, waitForCounts } from './ops-harness.js';
import type { LogLine, OpsWorld } from './ops-harness.js';

function randomHex(bytes: number): string {
  return randomBytes(bytes).toString('hex');
}

async function scrape(opsUrl: string): Promise<Map<string, MetricFamily>> {
  const res = await fetch(`${opsUrl}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  // Throws, naming the line, on anything a Prometheus server would reject.
  return parsePrometheusText(await res.text());
}

/** Non-zero samples of one family as `label=value,…` → value (order of labels fixed). */
function series(
  families: Map<string, MetricFamily>,
  sampleName: string,
  labelNames: readonly string[],
): Map<string, number> {
  const out = new Map<string, number>();
  for (const family of families.values()) {
    for (const s of family.samples) {
      if (s.name !== sampleName || s.value === 0) continue;
      out.set(labelNames.map((l) => `${l}=${s.labels[l]}`).join(','), s.value);
    }
  }
  return out;
}

describe('worker metrics on its ops server (issue 5: exact counts after known takedowns)', () => {
  let world: OpsWorld | undefined;
  afterEach(async () => {
    await world?.close();
    world = undefined;
  });

  it('counts outcomes, job and step durations, Agora calls, rate-limit waits and queue depths exactly', async () => {
    world = await createOpsWorld();
    const w = world;
    const worker = await w.startWorker();

    // 5 live streams to take down, 1 whose key revocation the API refuses (403 → DLQ).
    const streams = await w.admin.seed({ appId: APP_ID, region: 'na', count: 6, reconnect: true });
    const doomed = streams[5];
    if (doomed === undefined) throw new Error('seed returned too few streams');
    await w.admin.setFaults({
      rules: [{ op: 'delete-key', streamKey: doomed.streamKey, status: 403, message: 'forbidden' }],
    });
    const requests = [
      ...streams.map((s) => ({ region: 'na', sid: s.sid, streamKey: s.streamKey })),
      // Key and SID long gone: every call answers 404 → already-offline (a SID was named).
      { region: 'na', sid: `sid${randomHex(8)}`, streamKey: `k${randomHex(8)}` },
      // Only a key, unknown → nothing-found.
      { region: 'na', streamKey: `k${randomHex(8)}` },
    ];
    const enqueued = await w.producer.enqueueMany(requests);
    expect(enqueued.counts.enqueued).toBe(8);

    await waitForCounts(w.queue, { completed: 7, failed: 1 });
    await waitFor(async () => (await w.dlq.getJobCounts('waiting'))['waiting'] === 1, {
      what: 'one DLQ entry',
    });
    // Outcomes are recorded once BullMQ has stored them: wait for all 8, then read once.
    const families = await waitFor(
      async () => {
        const f = await scrape(worker.opsUrl);
        return sampleValue(f, 'takedown_job_duration_seconds_count') === 8 ? f : undefined;
      },
      { what: '8 recorded outcomes' },
    );

    // takedown_jobs_total per outcome.
    const outcome = (o: string): number | undefined =>
      sampleValue(families, 'takedown_jobs_total', { outcome: o });
    expect(outcome('taken-down')).toBe(5);
    expect(outcome('already-offline')).toBe(1);
    expect(outcome('nothing-found')).toBe(1);
    expect(outcome('dead-lettered')).toBe(1);

    // Step runs that finished: every job resolves; the 403 one stops in revoke-key.
    const steps = (step: string): number | undefined =>
      sampleValue(families, 'takedown_step_duration_seconds_count', { step });
    expect(steps('resolve')).toBe(8);
    expect(steps('revoke-key')).toBe(7);
    expect(steps('disconnect')).toBe(7);
    expect(steps('verify')).toBe(7);
    // Revoked before cut: the encoders' reconnects were refused, so verify found nobody.
    expect(sampleValue(families, 'takedown_reconnects_blocked_total')).toBe(0);

    // agora_requests_total{op,status} is exactly the simulator's call log.
    const calls = await w.admin.calls();
    expect(calls.every((c) => c.status !== 0)).toBe(true);
    const logged = new Map<string, number>();
    const perOp = new Map<string, number>();
    for (const c of calls) {
      const key = `op=${c.op},status=${c.status}`;
      logged.set(key, (logged.get(key) ?? 0) + 1);
      perOp.set(c.op, (perOp.get(c.op) ?? 0) + 1);
    }
    expect(series(families, 'agora_requests_total', ['op', 'status'])).toEqual(logged);
    expect(logged.get('op=delete-key,status=403')).toBe(1);
    expect(logged.get('op=disconnect,status=200')).toBe(5);
    expect(logged.get('op=disconnect,status=404')).toBe(1);
    for (const [op, n] of perOp) {
      expect(sampleValue(families, 'agora_request_duration_seconds_count', { op })).toBe(n);
    }
    // Every call waited (often 0 ms) for its rate-limiter slot once.
    const waits = series(families, 'takedown_ratelimit_wait_seconds_count', ['app_id', 'class']);
    expect([...waits.keys()].every((k) => k.startsWith(`app_id=${APP_ID},`))).toBe(true);
    expect([...waits.values()].reduce((a, b) => a + b, 0)).toBe(calls.length);

    // Queue gauges, read from Redis at scrape time.
    expect(sampleValue(families, 'takedown_dlq_jobs')).toBe(1);
    expect(
      sampleValue(families, 'takedown_queue_jobs', { queue: 'takedown', state: 'completed' }),
    ).toBe(7);
    expect(
      sampleValue(families, 'takedown_queue_jobs', { queue: 'takedown', state: 'failed' }),
    ).toBe(1);
    expect(
      sampleValue(families, 'takedown_queue_jobs', { queue: 'takedown-dlq', state: 'waiting' }),
    ).toBe(1);
    expect(families.get('process_cpu_user_seconds_total')?.type).toBe('counter');

    // Structured logs (issue 5 "Logs"): one line per step, per Agora call and per outcome.
    const logs = worker.logs;
    const jobFields = (l: LogLine): boolean =>
      typeof l['jobId'] === 'string' &&
      l['appId'] === APP_ID &&
      l['region'] === 'na' &&
      typeof l['attempt'] === 'number';
    const stepLines = logs.filter((l) => l.msg === 'step done');
    expect(stepLines).toHaveLength(8 + 7 + 7 + 7);
    for (const l of stepLines) {
      expect(jobFields(l)).toBe(true);
      expect(typeof l['step']).toBe('string');
      expect(typeof l['durationMs']).toBe('number');
    }
    const callLines = logs.filter((l) => l.msg === 'agora call' || l.msg === 'agora call failed');
    expect(callLines).toHaveLength(calls.length);
    for (const l of callLines) {
      // A SID not live in its region is looked for in the others: those lines name their region.
      expect(jobFields({ ...l, region: 'na' })).toBe(true);
      expect(['na', 'eu', 'ap', 'cn']).toContain(l['region']);
      expect(typeof l['op']).toBe('string');
      expect(typeof l['status']).toBe('number');
      expect(typeof l['durationMs']).toBe('number');
      expect(typeof l['requestId']).toBe('string');
      expect(typeof l['step']).toBe('string');
    }
    // Calls of a job named by SID carry it.
    expect(callLines.filter((l) => l['sid'] === streams[0]?.sid).length).toBeGreaterThan(0);
    const completedLines = logs.filter((l) => l.msg === 'takedown completed');
    expect(completedLines).toHaveLength(7);
    expect(completedLines.every((l) => jobFields(l) && typeof l['outcome'] === 'string')).toBe(
      true,
    );
    expect(logs.filter((l) => l.msg === 'takedown failed for good: dead-lettered')).toHaveLength(1);

    expect(await worker.stop()).toBe(0);
  });
});
