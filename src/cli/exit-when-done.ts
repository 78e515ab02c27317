/**
 * Ends the process with `code` once the command is done. Normally the event loop is empty and
 * the process exits at once; but a handle a frozen Redis leaves behind must not keep a finished
 * command alive, so after `graceMs` it exits anyway. Our own connections are closed sockets and
 * all (dropRedis); what remains is ioredis's own: a Cluster's slot-refresh connection to a
 * frozen node is only half-closed, and stays open until that node wakes up. Output is already written (stdout and stderr to pipes and files are
 * synchronous on Linux). For the composition root (bin/takedown.js) only.
 */
export function exitWhenDone(
  code: number,
  graceMs = 3000,
  exit: (code: number) => void = (c) => process.exit(c),
): void {
  process.exitCode = code;
  setTimeout(() => exit(code), graceMs).unref();
}
