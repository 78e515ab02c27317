/**
 * Whether traces are exported, decided from the standard OpenTelemetry variables alone (the
 * exporter reads its endpoint, headers and timeout from the same variables itself):
 *
 * - `OTEL_SDK_DISABLED=true` or `OTEL_TRACES_EXPORTER=none` → off;
 * - `OTEL_TRACES_EXPORTER=otlp|console` → on with that exporter;
 * - `OTEL_EXPORTER_OTLP_ENDPOINT` or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` set → on, OTLP/HTTP;
 * - nothing set → off, and nothing is registered or wrapped (no cost at all).
 */
export type TraceExporterKind = 'otlp' | 'console';

export type TelemetrySettings =
  { enabled: false } | { enabled: true; exporter: TraceExporterKind; serviceName: string };

export class TelemetrySettingsError extends Error {
  override readonly name = 'TelemetrySettingsError';
  readonly retryable = false;
}

function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed === undefined || trimmed === '' ? undefined : trimmed;
}

export function readTelemetrySettings(
  env: NodeJS.ProcessEnv,
  defaultServiceName: string,
): TelemetrySettings {
  if (nonEmpty(env.OTEL_SDK_DISABLED)?.toLowerCase() === 'true') return { enabled: false };
  const serviceName = nonEmpty(env.OTEL_SERVICE_NAME) ?? defaultServiceName;
  const exporters = (nonEmpty(env.OTEL_TRACES_EXPORTER) ?? '')
    .split(',')
    .map((e) => e.trim().toLowerCase())
    .filter((e) => e !== '');
  if (exporters.includes('none')) return { enabled: false };
  const unknown = exporters.filter((e) => e !== 'otlp' && e !== 'console');
  if (unknown.length > 0) {
    throw new TelemetrySettingsError(
      `OTEL_TRACES_EXPORTER: ${unknown.join(', ')} is not supported; allowed: otlp, console, none`,
    );
  }
  if (exporters.length > 0) {
    return { enabled: true, exporter: exporters[0] as TraceExporterKind, serviceName };
  }
  const endpoint =
    nonEmpty(env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) ?? nonEmpty(env.OTEL_EXPORTER_OTLP_ENDPOINT);
  if (endpoint === undefined) return { enabled: false };
  return { enabled: true, exporter: 'otlp', serviceName };
}
