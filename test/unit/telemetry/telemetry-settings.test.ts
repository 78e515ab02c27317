import { trace } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import {
  readTelemetrySettings,
  startTelemetry,
  TelemetrySettingsError,
} from '../../../src/telemetry/index.js';

describe('readTelemetrySettings (standard OTEL_* variables)', () => {
  it('is off when no OTEL variable is set', () => {
    expect(readTelemetrySettings({}, 'takedown')).toEqual({ enabled: false });
  });

  it('turns on OTLP export when an OTLP endpoint is set, named by OTEL_SERVICE_NAME', () => {
    expect(
      readTelemetrySettings(
        { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_SERVICE_NAME: 'td-prod' },
        'takedown',
      ),
    ).toEqual({ enabled: true, exporter: 'otlp', serviceName: 'td-prod' });
    expect(
      readTelemetrySettings(
        { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://collector:4318/v1/traces' },
        'takedown',
      ),
    ).toEqual({ enabled: true, exporter: 'otlp', serviceName: 'takedown' });
  });

  it('follows OTEL_TRACES_EXPORTER (otlp, console, none) and OTEL_SDK_DISABLED', () => {
    expect(readTelemetrySettings({ OTEL_TRACES_EXPORTER: 'console' }, 'td')).toMatchObject({
      enabled: true,
      exporter: 'console',
    });
    expect(
      readTelemetrySettings(
        { OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' },
        'td',
      ),
    ).toEqual({ enabled: false });
    expect(
      readTelemetrySettings(
        { OTEL_SDK_DISABLED: 'true', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' },
        'td',
      ),
    ).toEqual({ enabled: false });
  });

  it('rejects an exporter it cannot run, naming the variable and what is allowed', () => {
    expect(() => readTelemetrySettings({ OTEL_TRACES_EXPORTER: 'zipkin' }, 'td')).toThrow(
      TelemetrySettingsError,
    );
    expect(() => readTelemetrySettings({ OTEL_TRACES_EXPORTER: 'zipkin' }, 'td')).toThrow(
      /OTEL_TRACES_EXPORTER: zipkin .*allowed: otlp, console, none/,
    );
  });
});

describe('startTelemetry', () => {
  it('registers nothing and returns undefined when tracing is off', () => {
    const before = trace.getTracerProvider();
    expect(startTelemetry({ env: {}, defaultServiceName: 'takedown' })).toBeUndefined();
    const span = trace.getTracer('probe').startSpan('probe');
    expect(span.isRecording()).toBe(false);
    span.end();
    expect(trace.getTracerProvider()).toBe(before);
  });
});
