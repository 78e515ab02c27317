import type { Attributes, Span, Telemetry as QueueTelemetry } from 'bullmq';
import { maskSecretsInText } from '../logging/index.js';

/**
 * BullMQ records a job's return value on its processing span (`bullmq.job.result`), and a
 * takedown's result names its stream key: a push credential that must never reach a trace
 * backend. Dropped here, with failure reasons masked like log lines.
 */
const DROPPED = new Set(['bullmq.job.result']);
const MASKED = new Set(['bullmq.job.failed.reason']);

function clean(attributes: Attributes | undefined): Attributes | undefined {
  if (attributes === undefined) return undefined;
  const out: Attributes = {};
  for (const [key, value] of Object.entries(attributes)) {
    if (DROPPED.has(key)) continue;
    out[key] = MASKED.has(key) && typeof value === 'string' ? maskSecretsInText(value) : value;
  }
  return out;
}

function redactSpan(span: Span): Span {
  return {
    setSpanOnContext: (ctx: unknown) => span.setSpanOnContext(ctx) as unknown,
    setAttribute: (key, value) => {
      if (DROPPED.has(key)) return;
      span.setAttribute(
        key,
        MASKED.has(key) && typeof value === 'string' ? maskSecretsInText(value) : value,
      );
    },
    setAttributes: (attributes) => span.setAttributes(clean(attributes) ?? {}),
    addEvent: (name, attributes) => span.addEvent(name, clean(attributes)),
    recordException: (exception, time) =>
      span.recordException(
        typeof exception === 'string' ? maskSecretsInText(exception) : exception,
        time,
      ),
    end: () => span.end(),
  };
}

/** The same telemetry hook, minus what would put a stream key into a span. */
export function redactQueueTelemetry(inner: QueueTelemetry): QueueTelemetry {
  return {
    ...inner,
    tracer: {
      startSpan: (name, options, ctx) => redactSpan(inner.tracer.startSpan(name, options, ctx)),
    },
  };
}
