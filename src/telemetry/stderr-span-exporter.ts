import { ExportResultCode, hrTimeToMicroseconds } from '@opentelemetry/core';
import type { ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';

/**
 * `OTEL_TRACES_EXPORTER=console`: one JSON line per span on stderr. OpenTelemetry's own console
 * exporter prints multi-line objects on stdout, which would corrupt a command's `--json` output
 * (and stdout pipes into `jq`).
 */
export class StderrSpanExporter implements SpanExporter {
  constructor(private readonly write: (line: string) => void = (l) => process.stderr.write(l)) {}

  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    for (const span of spans) {
      const context = span.spanContext();
      this.write(
        `${JSON.stringify({
          span: span.name,
          traceId: context.traceId,
          spanId: context.spanId,
          parentSpanId: span.parentSpanContext?.spanId,
          kind: span.kind,
          startUs: hrTimeToMicroseconds(span.startTime),
          durationUs: hrTimeToMicroseconds(span.duration),
          status: span.status,
          attributes: span.attributes,
          events: span.events.map((e) => ({ name: e.name, attributes: e.attributes })),
        })}\n`,
      );
    }
    done({ code: ExportResultCode.SUCCESS });
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }

  forceFlush(): Promise<void> {
    return Promise.resolve();
  }
}
