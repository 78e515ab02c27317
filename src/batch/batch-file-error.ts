/**
 * The batch file as a whole cannot be used: missing, unreadable, empty, binary, not the format
 * it claims, or a CSV header that does not name the columns. Nothing in it can be trusted, so
 * the caller stops (the CLI exits 2). Problems with single rows are row errors instead.
 */
export class BatchFileError extends Error {
  override readonly name = 'BatchFileError';
  readonly retryable = false;
  /** The path as the caller gave it. */
  readonly path: string;

  constructor(path: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.path = path;
  }
}
