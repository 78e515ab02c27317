import type { Attributes, Span, Telemetry as QueueTelemetry } from 'bullmq';
import type { AttributeValue, Exception } from 'bullmq';
import { maskSecretsInText } from '../logging/index.js';
import { maskJobIds } from './mask-job-ids.js';

/**
 * BullMQ records a job's return value on its processing span (`bullmq.job.result`), and a
 * takedown's result names its stream key: a push credential that must never reach a trace
 * backend. Dropped here; job ids that carry a key (key-only takedowns, expiries) are masked
 * wherever they appear, and failure reasons are masked like log lines.
 */
const DROPPED = new Set(['bullmq.job.result']);
const MASKED = new Set(['bullmq.job.failed.reason']);

function maskText(key: string, text: string): string {
  const masked = maskJobIds(text);
  return MASKED.has(key) ? maskSecretsInText(masked) : masked;
}

function cleanValue(key: string, value: AttributeValue): AttributeValue {
  if (typeof value === 'string') return maskText(key, value);
  if (Array.isArray(value) && value.every((v) => typeof v !== 'number' && typeof v !== 'boolean')) {
    return value.map((v) => (typeof v === 'string' ? maskText(key, v) : v));
  }
  return value;
}

function cleanException(exception: Exception): Exception {
  if (typeof exception === 'string') return maskText('exception', exception);
  if (exception.message === undefined) return exception;
  return { ...exception, message: maskText('exception', exception.message) };
}

function clean(attributes: Attributes | undefined): Attributes | undefined {
  if (attributes === undefined) return undefined;
  const out: Attributes = {};
  for (const [key, value] of Object.entries(attributes)) {
    if (DROPPED.has(key)) continue;
    out[key] = value === undefined ? value : cleanValue(key, value);
  }
  return out;
}

function redactSpan(span: Span): Span {
  return {
    setSpanOnContext: (ctx: unknown) => span.setSpanOnContext(ctx) as unknown,
    setAttribute: (key, value) => {
      if (DROPPED.has(key)) return;
      span.setAttribute(key, cleanValue(key, value));
    },
    setAttributes: (attributes) => span.setAttributes(clean(attributes) ?? {}),
    addEvent: (name, attributes) => span.addEvent(name, clean(attributes)),
    recordException: (exception, time) => span.recordException(cleanException(exception), time),
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
