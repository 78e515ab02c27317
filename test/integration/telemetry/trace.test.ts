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
    worker = await world.startWorker({ INTAKE_TOKENS: TOKEN }, { telemetry });
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
        return done.some((s) => s.name === 'process takedown') ? done : undefined;
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
    const processing = only(spans, 'process takedown');
    expect(processing.kind).toBe(SpanKind.CONSUMER);
    expect(parentOf(processing)).toBe(add.spanContext().spanId);

    const steps = spans.filter((s) => s.name.startsWith('step '));
    expect(steps.map((s) => s.name)).toEqual(
      expect.arrayContaining(['step revoke-key', 'step disconnect', 'step verify']),
    );
    for (const step of steps) {
      expect(parentOf(step), step.name).toBe(processing.spanContext().spanId);
      expect(step.attributes['takedown.attempt']).toBe(1);
      expect(step.attributes['takedown.step']).toBe(step.name.slice('step '.length));
    }
    const stepByName = new Map(steps.map((s) => [s.name, s]));

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
      const expectedStep = owner[op] ?? 'step verify';
      expect(parentOf(span), `${span.name}`).toBe(
        stepByName.get(expectedStep)?.spanContext().spanId,
      );
    }

    // The last verify call reaches the intake request through its parents, in one trace.
    const lastVerifyCall = agora
      .filter((s) => parentOf(s) === stepByName.get('step verify')?.spanContext().spanId)
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
    for (const span of [add, processing, ...steps, ...agora]) {
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
    expect(only(spans, 'step verify').spanContext().traceId).toBe(callerTrace);
  });

  it('masks the stream key of a key-only takedown, whose job id would carry it', async () => {
    const { streamKey, spans } = await takedownThroughIntake({}, { keyOnly: true });
    const processing = only(spans, 'process takedown');
    expect(processing.attributes['bullmq.job.id']).toBe(
      `key-${APP_ID}-${streamKey.slice(0, 4)}…${streamKey.slice(-3)}`,
    );
    expect(only(spans, 'step resolve').attributes['takedown.job_id']).toBe(
      processing.attributes['bullmq.job.id'],
    );
    const everything = JSON.stringify(spans.map((s) => [s.name, s.attributes, s.events]));
    expect(everything).not.toContain(streamKey);
  });
});
