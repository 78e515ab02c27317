import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { ConfigError } from '../config/index.js';
import { maskSecretsInText } from '../logging/index.js';
import { ATTR, startTelemetry, TelemetrySettingsError } from '../telemetry/index.js';
import type { Telemetry } from '../telemetry/index.js';
import { auditCommand } from './commands/audit.js';
import { batchCommand } from './commands/batch.js';
import { callbacksCommand } from './commands/callbacks.js';
import { channelCommand } from './commands/channel.js';
import { demoCommand } from './commands/demo.js';
import { enqueueCommand } from './commands/enqueue.js';
import { dlqCommand } from './commands/dlq.js';
import { expireCommand } from './commands/expire.js';
import { ruleCommand } from './commands/rule.js';
import { simulatorCommand } from './commands/simulator.js';
import { statsCommand } from './commands/stats.js';
import { statusCommand } from './commands/status.js';
import { workerCommand } from './commands/worker.js';
import { OperationalError, UsageError, type CliContext } from './context.js';
import { printError } from './output.js';

export { exitQuietlyOnClosedStdout } from './exit-quietly-on-closed-stdout.js';
export { exitWhenDone } from './exit-when-done.js';

/** A subcommand module's export: `<name>Command(ctx)` in src/cli/commands/<name>.ts. */
export type CommandFactory = (ctx: CliContext) => Command;

/**
 * Every subcommand, in help order. To add one: write src/cli/commands/<name>.ts exporting
 * `<name>Command`, import it above and list it here.
 */
export const COMMANDS: readonly CommandFactory[] = [
  workerCommand,
  enqueueCommand,
  batchCommand,
  channelCommand,
  expireCommand,
  statusCommand,
  dlqCommand,
  statsCommand,
  callbacksCommand,
  auditCommand,
  ruleCommand,
  simulatorCommand,
  demoCommand,
];

const EXAMPLES = `
Examples:
  $ takedown simulator --port 8787
  $ takedown worker
  $ takedown enqueue --region na --sid SID --priority urgent --json
  $ takedown batch sweep.csv --dry-run
  $ takedown status --sid SID --json
  $ takedown dlq list --json
  $ takedown rule add --uid 4242 --for 24h --reason "repeat violation"

Configuration: environment variables (REDIS_URL, AGORA_APP_ID, AGORA_CUSTOMER_ID, ...) and an
optional JSON file (--config FILE or TAKEDOWN_CONFIG); environment variables win over the file.
Exit codes: 0 done, 1 operational failure, 2 usage or validation error.
`;

/**
 * Runs the `takedown` command line and resolves to its exit code; never exits the process.
 * `argv` is process.argv-shaped (node, script, ...args). `io` replaces the outside world (tests);
 * `commands` replaces the subcommand list (tests).
 */
export async function runCli(
  argv: readonly string[],
  io: Partial<CliContext> = {},
  commands: readonly CommandFactory[] = COMMANDS,
): Promise<number> {
  const stdout = io.stdout ?? process.stdout;
  const ctx: CliContext = {
    stdout,
    stderr: io.stderr ?? process.stderr,
    // A copy: --config is passed on to commands as TAKEDOWN_CONFIG in it.
    env: { ...(io.env ?? process.env) },
    isTTY: io.isTTY ?? (stdout as { isTTY?: boolean }).isTTY === true,
    exitCode: 0,
    waitForSignal: io.waitForSignal ?? waitForSignal,
  };
  const state = { errorPrinted: false };
  const program = buildProgram(ctx, commands, state);
  let telemetry: Telemetry | undefined;
  try {
    telemetry = startTelemetry({
      env: ctx.env,
      defaultServiceName: 'takedown',
      version: readVersion(),
    });
  } catch (err) {
    if (!(err instanceof TelemetrySettingsError)) throw err;
    printError(ctx, err.message);
    return 2;
  }
  try {
    const parse = (): Promise<Command> => program.parseAsync([...argv], { from: 'node' });
    const name = program.commands.map((c) => c.name()).find((n) => argv.slice(2).includes(n));
    // A command is a request and starts a trace; long-running ones trace each job or request.
    if (telemetry !== undefined && name !== undefined && !LONG_RUNNING.has(name)) {
      await telemetry.traceRequest(
        `takedown ${name}`,
        { attributes: { [ATTR.command]: name } },
        parse,
      );
    } else {
      await parse();
    }
    return ctx.exitCode;
  } catch (err) {
    return reportError(ctx, err, state.errorPrinted);
  } finally {
    // Flushes the spans of this command before the process exits.
    await telemetry?.shutdown();
  }
}

/** Commands that serve until stopped: no trace around them (their jobs and requests have one). */
const LONG_RUNNING: ReadonlySet<string> = new Set(['worker', 'simulator', 'demo']);

function buildProgram(
  ctx: CliContext,
  commands: readonly CommandFactory[],
  state: { errorPrinted: boolean },
): Command {
  const program = new Command('takedown')
    .description(
      'Reliable stream takedowns for Agora Media Gateway: revoke the key, force-disconnect the SID, verify.',
    )
    .version(readVersion(), '-V, --version', 'print the version')
    .option('--config <file>', 'JSON config file (instead of TAKEDOWN_CONFIG)')
    .helpOption('-h, --help', 'show help')
    .showSuggestionAfterError(true)
    // Throw instead of process.exit, so that runCli decides the exit code (usage errors → 2).
    .exitOverride()
    .configureOutput({
      writeOut: (text) => void ctx.stdout.write(text),
      writeErr: (text) => void ctx.stderr.write(text),
      outputError: (text) => {
        state.errorPrinted = true;
        printError(ctx, text.replace(/^error:\s*/, ''));
      },
    })
    .addHelpText('after', EXAMPLES)
    .hook('preAction', () => {
      const file = program.opts<{ config?: string }>().config;
      if (file !== undefined) ctx.env['TAKEDOWN_CONFIG'] = file;
    });
  for (const create of commands) {
    const command = create(ctx);
    inheritSettings(command, program);
    program.addCommand(command);
  }
  return program;
}

/** addCommand() does not copy exitOverride/output settings; commands may have subcommands. */
function inheritSettings(command: Command, parent: Command): void {
  command.copyInheritedSettings(parent);
  for (const sub of command.commands) inheritSettings(sub, command);
}

function reportError(ctx: CliContext, err: unknown, alreadyPrinted: boolean): number {
  if (err instanceof CommanderError) {
    if (err.exitCode === 0) return 0; // --help, --version
    // Commander printed its own parse errors; an InvalidArgumentError thrown by an action was not.
    if (!alreadyPrinted && err.code !== 'commander.help') printError(ctx, err.message);
    return 2;
  }
  if (err instanceof UsageError || err instanceof ConfigError) {
    printError(ctx, err.message);
    return 2;
  }
  // Messages of unknown errors may quote a URL with a password (e.g. a Redis client error).
  const message = err instanceof Error ? err.message : String(err);
  printError(ctx, maskSecretsInText(message));
  return err instanceof OperationalError ? err.exitCode : 1;
}

function readVersion(): string {
  // src/cli/main.ts and dist/cli/main.js are both two levels below the package root.
  const raw = readFileSync(new URL('../../package.json', import.meta.url), 'utf8');
  return (JSON.parse(raw) as { version: string }).version;
}

/**
 * Resolves on the next SIGINT/SIGTERM. The listeners are removed once one fires, so a second
 * Ctrl-C gets Node's default behaviour and ends a shutdown that hangs.
 */
function waitForSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const onSignal = (signal: NodeJS.Signals): void => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      resolve(signal);
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  });
}
