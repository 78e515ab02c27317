import { Queue } from 'bullmq';
import { Command } from 'commander';
import { CALLBACK_QUEUE, createDisabledUrls, listCallbacks } from '../../callbacks/index.js';
import type { CallbackListEntry } from '../../callbacks/index.js';
import { describeCallbackUrl } from '../../jobs/index.js';
import { UsageError } from '../context.js';
import type { CliContext } from '../context.js';
import { formatTable, printJson, printLines } from '../output.js';
import { EXIT_CODES_HELP, addConfigOption, readConfig, withRedis } from './command-support.js';
import type { ConfigFlags } from './command-support.js';

interface ListFlags extends ConfigFlags {
  failed?: boolean;
  limit: string;
  json?: boolean;
}

/** Human lines for `takedown callbacks list`. Exported for tests. */
export function describeCallbacks(
  entries: readonly CallbackListEntry[],
  failedOnly: boolean,
): string[] {
  if (entries.length === 0) {
    return [failedOnly ? 'no failed callbacks' : 'no callbacks waiting, retrying or failed'];
  }
  return formatTable(
    ['WEBHOOK ID', 'TYPE', 'JOB ID', 'STATE', 'ATTEMPTS', 'URL', 'LAST ERROR'],
    entries.map((e) => [
      e.webhookId,
      e.type,
      e.jobId,
      e.state,
      String(e.attempts),
      e.url,
      e.lastError ?? '',
    ]),
  );
}

/** `takedown callbacks list|enable`: outcome callbacks not delivered (yet), and 410-disabled URLs. */
export function callbacksCommand(ctx: CliContext): Command {
  const list = new Command('list')
    .description(
      'Callbacks waiting, retrying or given up on (--failed: only those given up on: attempts ' +
        'exhausted, 410 Gone, refused URL, no CALLBACK_SECRET). URLs are shown without their query.',
    )
    .option('--failed', 'only callbacks given up on')
    .option('--limit <n>', 'at most this many per state', '100')
    .option(
      '--json',
      'print [{webhookId, type, jobId, url, state, attempts, lastError, failedAt}]',
    );
  addConfigOption(list);
  list.addHelpText('after', EXIT_CODES_HELP).action(async (flags: ListFlags) => {
    const limit = Number(flags.limit);
    if (!/^\d{1,5}$/.test(flags.limit) || limit < 1) {
      throw new UsageError(
        `--limit must be a whole number from 1 to 99999; got ${JSON.stringify(flags.limit)}`,
      );
    }
    const config = readConfig(ctx, flags);
    const failedOnly = flags.failed === true;
    const entries = await withRedis(config, 'list callbacks', async (redis) => {
      const queue = new Queue(CALLBACK_QUEUE, { connection: redis, prefix: config.prefix });
      try {
        return await listCallbacks(queue, { failedOnly, limit });
      } finally {
        await queue.close();
      }
    });
    if (flags.json === true) printJson(ctx, entries);
    else printLines(ctx, describeCallbacks(entries, failedOnly));
  });

  const enable = new Command('enable')
    .description('Send callbacks to URL again after its receiver answered 410 Gone.')
    .argument('<url>', 'the callback URL, exactly as the requests name it');
  addConfigOption(enable);
  enable.action(async (url: string, flags: ConfigFlags) => {
    const config = readConfig(ctx, flags);
    const enabled = await withRedis(config, 'enable the callback URL', (redis) =>
      createDisabledUrls(redis, config.prefix).enable(url),
    );
    printLines(ctx, [
      enabled
        ? `enabled ${describeCallbackUrl(url)}: callbacks are sent to it again`
        : `${describeCallbackUrl(url)} was not disabled`,
    ]);
  });

  return new Command('callbacks')
    .summary('outcome callbacks: list failed or pending ones, re-enable a URL')
    .description(
      'Signed outcome callbacks (Standard Webhooks) are delivered from their own queue ' +
        `(${CALLBACK_QUEUE}), retried for about 24 h.`,
    )
    .addCommand(list)
    .addCommand(enable);
}
