import { Command } from 'commander';
import { maskJobId, maskStreamKeys } from '../../jobs/index.js';
import type { DeadLetterEntry } from '../../jobs/index.js';
import type { PurgeResult, RedriveResult } from '../../producer/index.js';
import { OperationalError, UsageError } from '../context.js';
import type { CliContext } from '../context.js';
import { describeDeadLetter, describeTarget } from '../format/describe-status.js';
import { formatTable, printError, printJson, printLines } from '../output.js';
import { EXIT_CODES_HELP, addConfigOption, readConfig, withProducer } from './command-support.js';
import type { ConfigFlags } from './command-support.js';

interface JsonFlags extends ConfigFlags {
  json?: boolean;
}
interface ListFlags extends JsonFlags {
  limit: string;
}
interface BulkFlags extends JsonFlags {
  all?: boolean;
}

export const DEFAULT_DLQ_LIMIT = 100;
const MAX_MESSAGE_COLUMN = 60;

/** `--limit`: a positive integer. Exported for tests. */
export function parseLimit(raw: string): number {
  const n = /^\d+$/.test(raw.trim()) ? Number(raw.trim()) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < 1) {
    throw new UsageError(`--limit must be a positive whole number; got ${JSON.stringify(raw)}`);
  }
  return n;
}

/** IDs or --all, exactly one of them. */
function targets(
  ids: readonly string[],
  flags: BulkFlags,
  verb: string,
): readonly string[] | 'all' {
  if (flags.all === true && ids.length > 0) throw new UsageError(`give job ids or --all, not both`);
  if (flags.all !== true && ids.length === 0) {
    throw new UsageError(`say what to ${verb}: one or more job ids, or --all`);
  }
  return flags.all === true ? 'all' : ids;
}

function truncate(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ');
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

function listLines(entries: readonly DeadLetterEntry[], limit: number, more: boolean): string[] {
  if (entries.length === 0) return ['the dead-letter queue is empty'];
  const lines = formatTable(
    ['JOB ID', 'SID / KEY', 'FAILED STEP', 'STATUS', 'MESSAGE', 'ATTEMPTS', 'FAILED AT'],
    entries.map((e) => [
      maskJobId(e.jobId),
      describeTarget(e),
      e.failedStep,
      e.error.status === undefined ? '-' : String(e.error.status),
      truncate(e.error.message, MAX_MESSAGE_COLUMN),
      String(e.attempts),
      e.failedAt,
    ]),
  );
  if (more) lines.push(`(newest ${limit} shown; use --limit N for more)`);
  return lines;
}

function summarize<T extends { status: string }>(results: readonly T[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of results) counts[r.status] = (counts[r.status] ?? 0) + 1;
  return counts;
}

function reportBulk(
  ctx: CliContext,
  json: boolean,
  results: readonly (RedriveResult | PurgeResult)[],
  done: 'redriven' | 'purged',
): void {
  if (json) {
    printJson(ctx, maskStreamKeys({ counts: summarize(results), results }));
  } else if (results.length === 0) {
    printLines(ctx, ['the dead-letter queue is empty; nothing to do']);
  } else {
    for (const r of results) {
      const message = 'message' in r && r.message !== undefined ? `: ${r.message}` : '';
      const id = maskJobId(r.jobId);
      if (r.status === done) printLines(ctx, [`${done} ${id}${message}`]);
      else if (r.status === 'not-found') printError(ctx, `${id}: not in the dead-letter queue`);
      else printError(ctx, `${id}: ${r.status}${message}`);
    }
  }
  // Unknown ids and refusals are reported, not fatal for the others; the exit code says so.
  if (results.some((r) => r.status !== done)) ctx.exitCode = 1;
}

function listCommand(ctx: CliContext): Command {
  const command = new Command('list')
    .description('List dead-lettered takedowns, newest failure first.')
    .option('--limit <n>', 'at most this many entries', String(DEFAULT_DLQ_LIMIT))
    .option('--json', 'print a JSON array of entries');
  addConfigOption(command);
  command.addHelpText(
    'after',
    `
Examples:
  $ takedown dlq list
  $ takedown dlq list --limit 500 --json
${EXIT_CODES_HELP}`,
  );
  return command.action(async (flags: ListFlags) => {
    const limit = parseLimit(flags.limit);
    const config = readConfig(ctx, flags);
    // One more than asked tells whether there are more.
    const entries = await withProducer(config, 'list the dead-letter queue', (p) =>
      p.listDead({ limit: limit + 1 }),
    );
    const shown = entries.slice(0, limit);
    // Listings are not given keys: keys stay masked in JSON too (the job id names the entry).
    if (flags.json === true) printJson(ctx, maskStreamKeys(shown));
    else printLines(ctx, listLines(shown, limit, entries.length > limit));
  });
}

function showCommand(ctx: CliContext): Command {
  const command = new Command('show')
    .description('Show one dead-lettered takedown: payload, failed step, attempts, last error.')
    .argument('<jobId>', 'job id of the dead-lettered takedown')
    .option('--json', 'print the entry as JSON');
  addConfigOption(command);
  command.addHelpText(
    'after',
    `
Examples:
  $ takedown dlq show sid-0123456789abcdef0123456789abcdef-0a1b2c3d
  $ takedown dlq show sid-0123456789abcdef0123456789abcdef-0a1b2c3d --json
${EXIT_CODES_HELP}`,
  );
  return command.action(async (jobId: string, flags: JsonFlags) => {
    const config = readConfig(ctx, flags);
    const entry = await withProducer(config, 'read the dead-letter queue', (p) =>
      p.showDead(jobId),
    );
    if (entry === null)
      throw new OperationalError(`${maskJobId(jobId)}: not in the dead-letter queue`);
    if (flags.json === true) printJson(ctx, maskStreamKeys(entry));
    else printLines(ctx, describeDeadLetter(entry));
  });
}

function redriveCommand(ctx: CliContext): Command {
  const command = new Command('redrive')
    .description(
      'Run dead-lettered takedowns again from the start (full attempts); each id is handled on its own.',
    )
    .argument('[jobIds...]', 'job ids to redrive')
    .option('--all', 'redrive every entry')
    .option('--json', 'print {counts, results: [{jobId, status, message?}]}');
  addConfigOption(command);
  command.addHelpText(
    'after',
    `
Examples:
  $ takedown dlq redrive sid-0123456789abcdef0123456789abcdef-0a1b2c3d
  $ takedown dlq redrive --all --json
${EXIT_CODES_HELP}`,
  );
  return command.action(async (ids: string[], flags: BulkFlags) => {
    const which = targets(ids, flags, 'redrive');
    const config = readConfig(ctx, flags);
    const results = await withProducer(config, 'redrive', (p) => p.redrive(which));
    reportBulk(ctx, flags.json === true, results, 'redriven');
  });
}

function purgeCommand(ctx: CliContext): Command {
  const command = new Command('purge')
    .description(
      'Delete dead-lettered takedowns (and their failed jobs), freeing the ids for new takedowns.',
    )
    .argument('[jobIds...]', 'job ids to purge')
    .option('--all', 'purge every entry')
    .option('--json', 'print {counts, results: [{jobId, status}]}');
  addConfigOption(command);
  command.addHelpText(
    'after',
    `
Examples:
  $ takedown dlq purge key-0123456789abcdef0123456789abcdef-5f2c9a0d41be7c3e9a86d1f0
  $ takedown dlq purge --all
${EXIT_CODES_HELP}`,
  );
  return command.action(async (ids: string[], flags: BulkFlags) => {
    const which = targets(ids, flags, 'purge');
    const config = readConfig(ctx, flags);
    const results = await withProducer(config, 'purge', (p) => p.purge(which));
    reportBulk(ctx, flags.json === true, results, 'purged');
  });
}

/** `takedown dlq list|show|redrive|purge`: triage of takedowns that failed for good. */
export function dlqCommand(ctx: CliContext): Command {
  return new Command('dlq')
    .summary('list, show, redrive or purge dead-lettered takedowns')
    .description(
      'Inspect and act on the dead-letter queue (takedown-dlq): takedowns that failed for good ' +
        '(permanent error, attempts exhausted, stalled too often).',
    )
    .addCommand(listCommand(ctx))
    .addCommand(showCommand(ctx))
    .addCommand(redriveCommand(ctx))
    .addCommand(purgeCommand(ctx))
    .addHelpText(
      'after',
      `
Examples:
  $ takedown dlq list
  $ takedown dlq list --limit 20 --json
  $ takedown dlq show sid-0123456789abcdef0123456789abcdef-0a1b2c3d
  $ takedown dlq redrive sid-0123456789abcdef0123456789abcdef-0a1b2c3d
  $ takedown dlq redrive --all --json
  $ takedown dlq purge key-0123456789abcdef0123456789abcdef-5f2c9a0d41be7c3e9a86d1f0

redrive and purge report each id; an unknown id is reported (exit 1) without stopping the others.
${EXIT_CODES_HELP}`,
    );
}
