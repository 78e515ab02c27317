/** The slice of a pino logger the ops server uses; a pino Logger satisfies it as is. */
export interface OpsLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}
