/** What every command needs from the outside world; the only place that touches process is main. */
export interface CliContext {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
  /** Whether stdout is a terminal (progress bars, colours). */
  isTTY: boolean;
  /** Set by a command; runCli returns it. 0 done, 1 operational failure, 2 usage/validation. */
  exitCode: number;
  /** Resolves on the next SIGINT/SIGTERM (long-running commands: worker, simulator). */
  waitForSignal(): Promise<NodeJS.Signals>;
}

/** Bad arguments or input: exit 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
  readonly exitCode = 2;
}

/** The command could not do its job (Redis unreachable, rows rejected, job failed): exit 1. */
export class OperationalError extends Error {
  override readonly name = 'OperationalError';
  readonly exitCode = 1;
}
