import { context, propagation, SpanKind, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createTelemetry } from '../../../src/telemetry/index.js';
import type { Telemetry } from '../../../src/telemetry/index.js';
import { APP_ID, createOpsWorld, CUSTOMER_SECRET, waitForCounts } from '../ops/ops-harness.js';
import type { InProcessWorker, OpsWorld } from '../ops/ops-harness.js';
import { waitFor } from '../../support/wait-for.js';

const TOKEN = 'trace-intake-token-5b1e0c9d';

function parentOf(span: ReadableSpan): string | undefined {
  return span.parentSpanContext?.spanId;
}

function only(spans: ReadableSpan[], name: string): ReadableSpan {
  const found = spans.filter((s) => s.name === name);
  expect(
    found.map((s) => s.name),
    `exactly one span "${name}"`,
  ).toEqual([name]);
  return found[0]!;
}

/** The chain of span names from `span` up to the root, within the exported spans. */
function ancestry(spans: ReadableSpan[], span: ReadableSpan): string[] {
  const byId = new Map(spans.map((s) => [s.spanContext().spanId, s]));
  const chain = [span.name];
  let current = span;
  while (parentOf(current) !== undefined) {
    const parent = byId.get(parentOf(current)!);
    if (parent === undefined) throw new Error(`parent of "${current.name}" was not exported`);
    chain.push(parent.name);
    current = parent;
  }
  return chain;
}

describe('OpenTelemetry: one trace from the intake request to the last verify call', () => {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  let telemetry: Telemetry;
  let world: OpsWorld | undefined;
  let worker: InProcessWorker | undefined;

  beforeAll(() => {
    // What startTelemetry registers, with an in-memory exporter instead of OTLP.
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    trace.setGlobalTracerProvider(provider);
    telemetry = createTelemetry({ version: 'test' });
  });

  afterEach(async () => {
    await worker?.stop();
    await world?.close();
    worker = undefined;
    world = undefined;
    exporter.reset();
  });

  afterAll(async () => {
    await provider.shutdown();
    trace.disable();
    propagation.disable();
    context.disable();
  });

  async function takedownThroughIntake(
    headers: Record<string, string> = {},
    { keyOnly = false }: { keyOnly?: boolean } = {},
  ): Promise<{ streamKey: string; sid: string; spans: ReadableSpan[] }> {
    world = await createOpsWorld();
    // A settle wait long enough that the worker parks the job and resumes it: the trace must
    // survive the job leaving the worker and coming back.
    worker = await world.startWorker(
      { INTAKE_TOKENS: TOKEN, TAKEDOWN_VERIFY_DELAY_MS: '300' },
      { telemetry },
    );
    const [stream] = await world.admin.seed({ appId: APP_ID, region: 'na', count: 1 });
    const { sid, streamKey } = stream!;
    const res = await fetch(`${worker.opsUrl}/v1/takedowns`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${TOKEN}`,
        'content-type': 'application/json',
        ...headers,
      },
      body: JSON.stringify({
        region: 'na',
        appId: APP_ID,
        streamKey,
        ...(keyOnly ? {} : { sid }),
        reason: 'trace test',
      }),
    });
    expect(res.status).toBe(202);
    await waitForCounts(world.queue, { completed: 1 });
    // BullMQ ends its processing span once the completion is stored.
    const spans = await waitFor(
      () => {
        const done = exporter.getFinishedSpans();
        const finished = done.some(
          (s) => s.name === 'process takedown' && s.events.some((e) => e.name === 'job completed'),
        );
        return finished ? done : undefined;
      },
      { what: 'the processing span' },
    );
    return { sid, streamKey, spans };
  }

  it('links intake → add → process → steps → Agora calls, with the attributes and no secret', async () => {
    const { sid, streamKey, spans } = await takedownThroughIntake();
    const calls = (await world!.admin.calls()).filter((c) => c.appId === APP_ID);

    const intake = only(spans, 'POST /v1/takedowns');
    expect(intake.kind).toBe(SpanKind.SERVER);
    expect(parentOf(intake)).toBeUndefined();
    expect(intake.attributes).toMatchObject({
      'http.request.method': 'POST',
      'http.route': '/v1/takedowns',
      'http.response.status_code': 202,
    });
    const traceId = intake.spanContext().traceId;

    const add = only(spans, 'add takedown.takedown');
    expect(add.kind).toBe(SpanKind.PRODUCER);
    expect(parentOf(add)).toBe(intake.spanContext().spanId);
    // One processing span per run: the first parks the job for verify's settle wait.
    const runs = spans.filter((s) => s.name === 'process takedown');
    expect(runs.length).toBeGreaterThanOrEqual(2);
    for (const run of runs) {
      expect(run.kind).toBe(SpanKind.CONSUMER);
      expect(parentOf(run)).toBe(add.spanContext().spanId);
    }
    const runIds = new Set(runs.map((r) => r.spanContext().spanId));

    const steps = spans.filter((s) => s.name.startsWith('step '));
    expect(steps.map((s) => s.name)).toEqual(
      expect.arrayContaining(['step revoke-key', 'step disconnect', 'step verify']),
    );
    for (const step of steps) {
      expect(runIds.has(parentOf(step) ?? ''), step.name).toBe(true);
      expect(step.attributes['takedown.attempt']).toBe(1);
      expect(step.attributes['takedown.step']).toBe(step.name.slice('step '.length));
    }
    expect(
      steps
        .filter((s) => s.name === 'step verify')
        .map((s) => s.attributes['takedown.resumes_later']),
    ).toContain(true);
    const stepIds = (name: string): string[] =>
      steps.filter((s) => s.name === name).map((s) => s.spanContext().spanId);

    // Every Agora call the simulator saw has its span, under the step that made it.
    const agora = spans.filter((s) => s.name.startsWith('agora '));
    expect(agora).toHaveLength(calls.length);
    expect(agora.map((s) => s.attributes['agora.request_id']).sort()).toEqual(
      calls.map((c) => c.requestId).sort(),
    );
    const owner: Record<string, string> = {
      'delete-key': 'step revoke-key',
      disconnect: 'step disconnect',
    };
    for (const span of agora) {
      const op = span.attributes['agora.op'] as string;
      expect(span.kind).toBe(SpanKind.CLIENT);
      expect(span.attributes).toMatchObject({
        'agora.region': 'na',
        'agora.app_id': APP_ID,
        'http.response.status_code': calls.find(
          (c) => c.requestId === span.attributes['agora.request_id'],
        )?.status,
        'takedown.attempt': 1,
      });
      // Look-ups belong to resolve (checking the request) or to verify.
      const expected = owner[op] === undefined ? ['step resolve', 'step verify'] : [owner[op]];
      expect(expected.flatMap(stepIds), `${span.name}`).toContain(parentOf(span));
    }

    // The last verify call reaches the intake request through its parents, in one trace.
    const lastVerifyCall = agora
      .filter((s) => stepIds('step verify').includes(parentOf(s) ?? ''))
      .sort((a, b) => (a.endTime[0] - b.endTime[0]) * 1e9 + (a.endTime[1] - b.endTime[1]))
      .at(-1);
    expect(lastVerifyCall).toBeDefined();
    expect(ancestry(spans, lastVerifyCall!)).toEqual([
      lastVerifyCall!.name,
      'step verify',
      'process takedown',
      'add takedown.takedown',
      'POST /v1/takedowns',
    ]);
    for (const span of [add, ...runs, ...steps, ...agora]) {
      expect(span.spanContext().traceId, span.name).toBe(traceId);
    }

    // Never a stream key, a token or a secret in a span.
    const everything = JSON.stringify(spans.map((s) => [s.name, s.attributes, s.events]));
    expect(everything).not.toContain(streamKey);
    expect(everything).not.toContain(TOKEN);
    expect(everything).not.toContain(CUSTOMER_SECRET);
    expect(sid).not.toBe('');
  });

  it("continues a caller's W3C traceparent instead of starting a new trace", async () => {
    const callerTrace = '0af7651916cd43dd8448eb211c80319c';
    const callerSpan = 'b7ad6b7169203331';
    const { spans } = await takedownThroughIntake({
      traceparent: `00-${callerTrace}-${callerSpan}-01`,
    });
    const intake = only(spans, 'POST /v1/takedowns');
    expect(intake.spanContext().traceId).toBe(callerTrace);
    expect(parentOf(intake)).toBe(callerSpan);
    for (const span of spans.filter((s) => s.name.startsWith('step ')))
      expect(span.spanContext().traceId).toBe(callerTrace);
  });

  it('masks the stream key of a key-only takedown, whose job id would carry it', async () => {
    const { streamKey, spans } = await takedownThroughIntake({}, { keyOnly: true });
    const processing = spans.find((s) => s.name === 'process takedown')!;
    const jobId = String(processing.attributes['bullmq.job.id']);
    expect(jobId).toMatch(/^key-/);
    expect(jobId).not.toContain(streamKey);
    const everything = JSON.stringify(spans.map((s) => [s.name, s.attributes, s.events]));
    expect(everything).not.toContain(streamKey);
  });
});
