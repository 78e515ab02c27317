import {
  context,
  createContextKey,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';
import type { Attributes, Span } from '@opentelemetry/api';
import type { Telemetry as QueueTelemetry } from 'bullmq';
import { BullMQOtel } from 'bullmq-otel';
import { maskJobIds } from './mask-job-ids.js';
import { redactQueueTelemetry } from './redact-queue-telemetry.js';
import type { CallTracer } from '../agora/index.js';
import { ATTR } from './span-attributes.js';

export const TRACER_NAME = 'takedown';

/** The job a step belongs to, as the step span records it. */
export interface StepJob {
  jobId: string | undefined;
  /** 1 for the first run, 2 for the first retry, … */
  attempt: number;
}

/** Runs one takedown step inside its span. */
export type StepTracer = <T>(step: string, job: StepJob, run: () => Promise<T>) => Promise<T>;

/** Runs an incoming request (intake HTTP call, CLI command) as the root of a trace. */
export type RequestTracer = <T>(
  name: string,
  options: {
    /** Incoming headers: a caller's W3C `traceparent` is continued instead of a new trace. */
    headers?: Record<string, string | string[] | undefined>;
    attributes?: Attributes;
  },
  run: (span: Span) => Promise<T>,
) => Promise<T>;

/**
 * Everything that traces, behind one object: hand `bullmq` to every Queue and Worker (BullMQ's
 * own producer/consumer spans, and the W3C context carried in the job from producer to worker),
 * `traceStep` to the processor, `traceCall` to the Agora client and `traceRequest` to the entry
 * points (intake routes, CLI commands). Built only when tracing is on; with it off nothing here
 * exists and nothing is wrapped.
 */
export interface Telemetry {
  readonly bullmq: QueueTelemetry;
  readonly traceStep: StepTracer;
  readonly traceCall: CallTracer;
  readonly traceRequest: RequestTracer;
  /** Flushes and stops exporting. Idempotent. */
  shutdown(): Promise<void>;
}

export interface CreateTelemetryOptions {
  /** Package version, recorded as the tracer's version. */
  version?: string;
  /** What shutdown() does after our own spans ended (the provider's flush). */
  shutdown?: () => Promise<void>;
}

/** The job attempt, carried in the context so Agora call spans can record it too. */
const ATTEMPT_KEY = createContextKey('takedown.attempt');

function endWithError(span: Span, err: unknown): never {
  const error = err instanceof Error ? err : new Error(String(err));
  span.setAttribute(ATTR.errorType, error.name);
  // The name only: messages can quote request data.
  span.setStatus({ code: SpanStatusCode.ERROR, message: error.name });
  span.end();
  throw err;
}

/**
 * Builds the telemetry object on the global OpenTelemetry API (tracer provider, W3C propagator
 * and context manager registered by startTelemetry, or by a test).
 */
export function createTelemetry(options: CreateTelemetryOptions = {}): Telemetry {
  const tracer = trace.getTracer(TRACER_NAME, options.version);
  const bullmq = redactQueueTelemetry(
    new BullMQOtel({
      tracerName: 'bullmq',
      ...(options.version === undefined ? {} : { version: options.version }),
    }),
  );
  let stopping: Promise<void> | undefined;

  const traceStep: StepTracer = (step, job, run) => {
    const attributes: Attributes = { [ATTR.step]: step, [ATTR.attempt]: job.attempt };
    if (job.jobId !== undefined) attributes[ATTR.jobId] = maskJobIds(job.jobId);
    const ctx = context.active().setValue(ATTEMPT_KEY, job.attempt);
    return tracer.startActiveSpan(`step ${step}`, { attributes }, ctx, async (span) => {
      try {
        const result = await run();
        span.end();
        return result;
      } catch (err) {
        // The job is parked to go on later (verify's settle wait): the step did not fail.
        if (err instanceof Error && err.name === 'ResumeLaterError') {
          span.setAttribute(ATTR.resumesLater, true);
          span.end();
          throw err;
        }
        return endWithError(span, err);
      }
    });
  };

  const traceCall: CallTracer = (call) => {
    const active = context.active();
    const attributes: Attributes = {
      [ATTR.agoraOp]: call.op,
      [ATTR.agoraRegion]: call.region,
      [ATTR.agoraAppId]: call.appId,
      [ATTR.httpMethod]: call.method,
    };
    const attempt = active.getValue(ATTEMPT_KEY);
    if (typeof attempt === 'number') attributes[ATTR.attempt] = attempt;
    const span = tracer.startSpan(
      `agora ${call.op}`,
      { kind: SpanKind.CLIENT, attributes },
      active,
    );
    return (info, error) => {
      span.setAttribute(ATTR.agoraRequestId, info.requestId);
      if (info.status !== 0) span.setAttribute(ATTR.httpStatus, info.status);
      if (error !== undefined) {
        span.setAttribute(ATTR.errorType, error.name);
        span.setStatus({ code: SpanStatusCode.ERROR, message: error.name });
      }
      span.end();
    };
  };

  const traceRequest: RequestTracer = (name, { headers, attributes }, run) => {
    const parent =
      headers === undefined ? ROOT_CONTEXT : propagation.extract(ROOT_CONTEXT, headers);
    return tracer.startActiveSpan(
      name,
      { kind: SpanKind.SERVER, ...(attributes === undefined ? {} : { attributes }) },
      parent,
      async (span) => {
        try {
          const result = await run(span);
          span.end();
          return result;
        } catch (err) {
          return endWithError(span, err);
        }
      },
    );
  };

  return {
    bullmq,
    traceStep,
    traceCall,
    traceRequest,
    shutdown: () => (stopping ??= options.shutdown?.() ?? Promise.resolve()),
  };
}
