/**
 * `takedown dlq list | head`: once the reader closes the pipe, the next write fails with EPIPE,
 * emitted as an 'error' event that would otherwise crash with a stack trace. The reader has all
 * it wanted, so the command ends quietly with exit 0 (as `cat`/`ls` do under SIGPIPE). Any other
 * stdout error is rethrown. For the composition root (bin/takedown.js) only: it exits.
 */
export function exitQuietlyOnClosedStdout(
  stdout: NodeJS.WritableStream = process.stdout,
  exit: (code: number) => void = (code) => process.exit(code),
): void {
  stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') exit(0);
    else throw err;
  });
}
