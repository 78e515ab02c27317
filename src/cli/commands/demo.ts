import { Command } from 'commander';
import { RedisNotFoundError, runDemo } from '../../demo/index.js';
import { EvictionPolicyError } from '../../redis/index.js';
import { OperationalError, UsageError } from '../context.js';
import type { CliContext } from '../context.js';

/** 128 + the signal number, as shells report a process ended by it. */
function signalExitCode(signal: NodeJS.Signals): number {
  return signal === 'SIGTERM' ? 143 : 130;
}

/**
 * `takedown demo`: runs every use case against an in-process simulator and Redis (REDIS_URL, the
 * local one, or a throw-away redis-server), prints a summary; exit 0 when it all held, 1 otherwise.
 */
export function demoCommand(ctx: CliContext): Command {
  return new Command('demo')
    .description(
      'Run the use cases end to end on a local simulator of Agora Media Gateway (no account needed): ' +
        'a 200-stream batch, an urgent takedown that overtakes it, a scheduled expiry, a stream already ' +
        'offline and a permanent failure that lands in the DLQ. Uses REDIS_URL, else Redis on ' +
        '127.0.0.1:6379, else starts redis-server from PATH; removes everything it created.',
    )
    .addHelpText(
      'after',
      '\nExamples:\n  $ npm run demo\n  $ REDIS_URL=redis://127.0.0.1:6380 takedown demo\n',
    )
    .action(async () => {
      const stop = new AbortController();
      let signal: NodeJS.Signals | undefined;
      void ctx.waitForSignal().then((s) => {
        signal = s;
        stop.abort(new Error(`interrupted by ${s}`));
      });
      // A throw-away redis-server runs in its own process group: make sure it never outlives us.
      const onExit = (fn: () => void): (() => void) => {
        process.once('exit', fn);
        return () => process.off('exit', fn);
      };
      let report;
      try {
        report = await runDemo({
          redisUrl: ctx.env['REDIS_URL'],
          // The demo reads REDIS_URL without the configuration; this one switch is read the same way.
          allowEviction: ['true', '1', 'yes', 'on'].includes(
            (ctx.env['REDIS_ALLOW_EVICTION'] ?? '').trim().toLowerCase(),
          ),
          out: ctx.stdout,
          isTTY: ctx.isTTY,
          signal: stop.signal,
          onExit,
        });
      } catch (err) {
        if (err instanceof EvictionPolicyError) {
          throw new UsageError(`cannot run the demo: ${err.message}`, { cause: err });
        }
        if (err instanceof RedisNotFoundError) {
          // Several lines of instructions: printError would fold them into one.
          ctx.stderr.write(`takedown: ${err.message}\n`);
          ctx.exitCode = 1;
          return;
        }
        if (err instanceof Error && err.name === 'RedisUnavailableError') {
          throw new OperationalError(
            `${err.message} (the demo uses REDIS_URL when it is set; unset it to let the demo find or start a Redis)`,
            { cause: err },
          );
        }
        throw err;
      }
      if (report.interrupted) {
        ctx.exitCode = signalExitCode(signal ?? 'SIGINT');
        return;
      }
      ctx.exitCode = report.ok && report.cleanupFailures.length === 0 ? 0 : 1;
    });
}
