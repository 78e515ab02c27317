import { Command } from 'commander';
import { DEAD_LETTER_QUEUE, TAKEDOWN_QUEUE } from '../../jobs/index.js';
import type { ProducerStats } from '../../producer/index.js';
import type { CliContext } from '../context.js';
import { formatTable, printJson, printLines } from '../output.js';
import { EXIT_CODES_HELP, addConfigOption, readConfig, withProducer } from './command-support.js';
import type { ConfigFlags } from './command-support.js';

interface StatsFlags extends ConfigFlags {
  json?: boolean;
}

// The states worth a column, in lifecycle order; BullMQ reports a few more (paused, …).
const STATES = ['waiting', 'prioritized', 'delayed', 'active', 'completed', 'failed'] as const;

/** Human lines for `takedown stats`. Exported for tests. */
export function describeStats(stats: ProducerStats): string[] {
  const queues = [TAKEDOWN_QUEUE, DEAD_LETTER_QUEUE] as const;
  const extra = new Set<string>();
  for (const q of queues) {
    for (const [state, n] of Object.entries(stats.queues[q])) {
      if (!(STATES as readonly string[]).includes(state) && n > 0) extra.add(state);
    }
  }
  const columns = [...STATES, ...extra];
  const lines = formatTable(
    ['QUEUE', ...columns.map((c) => c.toUpperCase())],
    queues.map((q) => [q, ...columns.map((c) => String(stats.queues[q][c] ?? 0))]),
  );
  lines.push('', `scheduled expiries: ${stats.scheduledExpiries}`);
  if (stats.limiter.length === 0) {
    lines.push('rate limiter: idle (no App ID has been called yet)');
  } else {
    lines.push('rate limiter (backlog = how far its schedule runs ahead of now):');
    lines.push(
      ...formatTable(
        ['APP ID', 'CALL CLASS', 'BACKLOG'],
        stats.limiter.map((l) => [
          l.appId,
          l.cls,
          l.backlogMs === 0 ? 'idle' : `${l.backlogMs} ms`,
        ]),
      ).map((l) => `  ${l}`),
    );
  }
  return lines;
}

/** `takedown stats`: counts per state of both queues, scheduled expiries, limiter state. */
export function statsCommand(ctx: CliContext): Command {
  const command = new Command('stats')
    .summary('counts per state, scheduled expiries, rate limiter state')
    .description(
      `Counts per state of the ${TAKEDOWN_QUEUE} and ${DEAD_LETTER_QUEUE} queues, scheduled ` +
        'expiries, and the per-App-ID rate limiter state.',
    )
    .option(
      '--json',
      'print {queues: {takedown, takedown-dlq}, scheduledExpiries, limiter: [...]}',
    );
  addConfigOption(command);
  return command
    .addHelpText(
      'after',
      `
Examples:
  $ takedown stats
  $ takedown stats --json
${EXIT_CODES_HELP}`,
    )
    .action(async (flags: StatsFlags) => {
      const config = readConfig(ctx, flags);
      const stats = await withProducer(config, 'read the stats', (p) => p.stats());
      if (flags.json === true) printJson(ctx, stats);
      else printLines(ctx, describeStats(stats));
    });
}
