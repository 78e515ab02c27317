/** The slice of a pino logger the producer uses; a pino Logger satisfies it as is. */
export interface ProducerLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

const noop = (): void => undefined;

/** Used when the caller passes no logger: the producer's results and errors say everything. */
export const silentLogger: ProducerLogger = { debug: noop, info: noop, warn: noop, error: noop };
