export { createTelemetry, TRACER_NAME } from './create-telemetry.js';
export type {
  CreateTelemetryOptions,
  RequestTracer,
  StepJob,
  StepTracer,
  Telemetry,
} from './create-telemetry.js';
export { ATTR } from './span-attributes.js';
export { activeTelemetry, startTelemetry } from './start-telemetry.js';
export type { StartTelemetryOptions } from './start-telemetry.js';
export { readTelemetrySettings, TelemetrySettingsError } from './telemetry-settings.js';
export type { TelemetrySettings, TraceExporterKind } from './telemetry-settings.js';
