import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import {
  defaultResource,
  detectResources,
  envDetector,
  resourceFromAttributes,
} from '@opentelemetry/resources';
import { BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { createTelemetry } from './create-telemetry.js';
import type { Telemetry } from './create-telemetry.js';
import { StderrSpanExporter } from './stderr-span-exporter.js';
import { readTelemetrySettings } from './telemetry-settings.js';

export interface StartTelemetryOptions {
  /** The process environment: only the standard OTEL_* variables are read. */
  env: NodeJS.ProcessEnv;
  /** `service.name` when OTEL_SERVICE_NAME is unset. */
  defaultServiceName: string;
  version?: string;
}

let active: Telemetry | undefined;

/**
 * Starts tracing when the standard OTEL_* variables ask for it (see telemetry-settings.ts):
 * registers a Node tracer provider (W3C trace-context propagation, async-local-storage context)
 * that batches spans to the OTLP/HTTP exporter (endpoint, headers, timeout from OTEL_EXPORTER_*)
 * or, for `console`, as JSON lines on stderr. Returns undefined, registering nothing, when tracing is off. Like
 * OpenTelemetry's own registration this is process-wide: once per process, from a composition
 * root; {@link activeTelemetry} hands the result to code that opens queues later.
 */
export function startTelemetry(options: StartTelemetryOptions): Telemetry | undefined {
  if (active !== undefined) return active;
  const settings = readTelemetrySettings(options.env, options.defaultServiceName);
  if (!settings.enabled) return undefined;
  const exporter =
    settings.exporter === 'console' ? new StderrSpanExporter() : new OTLPTraceExporter();
  const provider = new NodeTracerProvider({
    resource: defaultResource()
      .merge(resourceFromAttributes({ 'service.name': settings.serviceName }))
      .merge(detectResources({ detectors: [envDetector] })),
    spanProcessors: [new BatchSpanProcessor(exporter)],
  });
  provider.register();
  const telemetry = createTelemetry({
    ...(options.version === undefined ? {} : { version: options.version }),
    shutdown: async () => {
      active = undefined;
      await provider.shutdown();
    },
  });
  active = telemetry;
  return telemetry;
}

/** The telemetry startTelemetry started in this process, if tracing is on. */
export function activeTelemetry(): Telemetry | undefined {
  return active;
}
