import { createRequire } from 'node:module';
import { pino, stdSerializers, type DestinationStream, type Logger } from 'pino';
import { maskSecretsInJsonLine, sanitizeLogObject } from './sanitize.js';

export interface LoggerOptions {
  /** A pino level: fatal, error, warn, info, debug, trace or silent. */
  level: string;
  /** Human-readable lines via pino-pretty (a dev dependency); JSON with one warning if missing. */
  pretty?: boolean;
  /** Where lines go. Default: stderr, so that a command's --json output on stdout stays clean. */
  destination?: DestinationStream;
  /** Logger name (the `name` field). */
  name?: string;
  /** Module providing `prettyFactory`; default 'pino-pretty' (tests point it elsewhere). */
  prettyModule?: string;
}

/** pino's redact paths: belt and braces beside sanitizeLogObject, which masks at any depth. */
export const REDACT_PATHS: readonly string[] = [
  'authorization',
  'Authorization',
  'headers.authorization',
  'headers.Authorization',
  '*.headers.authorization',
  '*.headers.Authorization',
  '*.*.headers.authorization',
  '*.*.headers.Authorization',
  'customerSecret',
  '*.customerSecret',
  '*.*.customerSecret',
  'password',
  '*.password',
  '*.*.password',
  'token',
  '*.token',
  'tokens',
  '*.tokens',
];

type PrettyFactory = (options: Record<string, unknown>) => (line: string) => string;

/** The root logger. Secrets are masked before anything is written, at every level. */
export function createLogger(options: LoggerOptions): Logger {
  const target = options.destination ?? pino.destination(2);
  let prettify: ((line: string) => string) | undefined;
  let prettyMissing = false;
  if (options.pretty === true) {
    const factory = loadPrettyFactory(options.prettyModule ?? 'pino-pretty');
    // prettyFactory formats synchronously: no transport worker thread to flush or close.
    if (factory) prettify = factory({ colorize: (target as { isTTY?: boolean }).isTTY === true });
    else prettyMissing = true;
  }
  // Last line of defence, on the serialized line: child bindings and messages are not seen by
  // formatters.log, and pino resets the bindings formatter for children.
  const destination: DestinationStream = {
    write: (line: string) => {
      const masked = maskSecretsInJsonLine(line);
      target.write(prettify ? prettify(masked) : masked);
    },
  };

  const logger = pino(
    {
      level: options.level,
      ...(options.name === undefined ? {} : { name: options.name }),
      redact: { paths: [...REDACT_PATHS], censor: '[redacted]' },
      // Errors are already plain (sanitized) objects by now; keep them as they are.
      serializers: { err: (v: unknown) => (v instanceof Error ? stdSerializers.err(v) : v) },
      formatters: { log: sanitizeLogObject },
    },
    destination,
  );
  if (prettyMissing)
    logger.warn('LOG_PRETTY is set but pino-pretty is not installed; logging JSON');
  return logger;
}

function loadPrettyFactory(moduleName: string): PrettyFactory | undefined {
  try {
    const mod = createRequire(import.meta.url)(moduleName) as { prettyFactory?: PrettyFactory };
    return typeof mod.prettyFactory === 'function' ? mod.prettyFactory : undefined;
  } catch {
    return undefined;
  }
}
