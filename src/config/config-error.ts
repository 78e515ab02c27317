/** One thing wrong with the configuration; `key`/`env` are absent for file-level problems. */
export interface ConfigProblem {
  readonly key?: string;
  readonly env?: string;
  readonly message: string;
}

/**
 * The configuration cannot be used. The message names each key and its env var, the problem and
 * what is allowed, on one line; it never contains a sensitive value.
 */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly retryable = false;
  readonly problems: readonly ConfigProblem[];

  constructor(problems: readonly ConfigProblem[], options?: { cause?: unknown }) {
    super(`invalid configuration: ${problems.map((p) => p.message).join('; ')}`, options);
    this.problems = problems;
  }
}
