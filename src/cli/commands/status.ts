import { Command } from 'commander';
import { maskJobId, maskStreamKey, maskStreamKeys } from '../../jobs/index.js';
import type { StatusQuery } from '../../producer/index.js';
import { OperationalError, UsageError } from '../context.js';
import type { CliContext } from '../context.js';
import { describeBatchStatus, describeJobStatus } from '../format/describe-status.js';
import { printJson, printLines } from '../output.js';
import { EXIT_CODES_HELP, addConfigOption, readConfig, withProducer } from './command-support.js';
import type { ConfigFlags } from './command-support.js';

interface StatusFlags extends ConfigFlags {
  sid?: string;
  key?: string;
  batch?: string;
  appId?: string;
  json?: boolean;
}

/** Exactly one of JOB_ID, --sid, --key, --batch → the producer's query. Exported for tests. */
export function toStatusQuery(jobId: string | undefined, flags: StatusFlags): StatusQuery {
  const given = [
    jobId === undefined ? undefined : 'JOB_ID',
    flags.sid === undefined ? undefined : '--sid',
    flags.key === undefined ? undefined : '--key',
    flags.batch === undefined ? undefined : '--batch',
  ].filter((g): g is string => g !== undefined);
  if (given.length !== 1) {
    throw new UsageError(
      given.length === 0
        ? 'say which takedown: JOB_ID, --sid SID, --key KEY or --batch BATCH_ID'
        : `give only one of JOB_ID, --sid, --key, --batch; got ${given.join(', ')}`,
    );
  }
  const appId = flags.appId === undefined ? {} : { appId: flags.appId };
  if (flags.appId !== undefined && flags.sid === undefined && flags.key === undefined) {
    throw new UsageError('--app-id goes with --sid or --key (a job id already names its App ID)');
  }
  for (const [name, value] of [
    ['JOB_ID', jobId],
    ['--sid', flags.sid],
    ['--key', flags.key],
    ['--batch', flags.batch],
  ] as const) {
    if (value !== undefined && value.trim() === '')
      throw new UsageError(`${name} must not be empty`);
  }
  if (jobId !== undefined) return jobId;
  if (flags.sid !== undefined) return { sid: flags.sid, ...appId };
  if (flags.key !== undefined) return { streamKey: flags.key, ...appId };
  return { batchId: flags.batch as string };
}

function describeQuery(query: StatusQuery): string {
  if (typeof query === 'string') return `job ${maskJobId(query)}`;
  if ('batchId' in query) return `batch ${query.batchId}`;
  if ('sid' in query) return `takedown for sid ${query.sid}`;
  if ('streamKey' in query) return `takedown for key ${maskStreamKey(query.streamKey)}`;
  return `job ${maskJobId(query.jobId)}`;
}

/** `takedown status`: where one takedown (or a batch) is. Not found → exit 1. */
export function statusCommand(ctx: CliContext): Command {
  const command = new Command('status')
    .summary('show where a takedown or a batch is')
    .description(
      'Show one takedown (state, step reached, attempts, result or last error) by job id, SID or ' +
        'stream key, or a batch (counts by state, completion percentage).',
    )
    .argument('[jobId]', 'a takedown job id, as printed by enqueue')
    .option('--sid <sid>', 'the takedown of this session id')
    .option('--key <streamKey>', "this stream key's takedown (and its scheduled expiry)")
    .option('--batch <batchId>', 'a batch, as printed by batch or channel')
    .option('--app-id <appId>', 'App ID for --sid / --key (default: AGORA_APP_ID)')
    .option(
      '--json',
      'print one JSON document (jobId, state, step, attempts, result, lastError, …)',
    );
  addConfigOption(command);
  return command
    .addHelpText(
      'after',
      `
Examples:
  $ takedown status --sid 0a1b2c3d
  $ takedown status --key sk_live_123 --app-id 0123456789abcdef0123456789abcdef --json
  $ takedown status --batch b-20260501T120000Z-1a2b3c4d
  $ takedown status sid-0123456789abcdef0123456789abcdef-0a1b2c3d

States: waiting, delayed, active, completed, failed (will be retried or dead-lettered),
dead-lettered (see takedown dlq).
${EXIT_CODES_HELP}`,
    )
    .action(async (jobId: string | undefined, flags: StatusFlags) => {
      const query = toStatusQuery(jobId, flags);
      const config = readConfig(ctx, flags);
      const status = await withProducer(config, 'read the status', (p) => p.getStatus(query));
      if (status === null) throw new OperationalError(`no such ${describeQuery(query)}`);
      if (flags.json === true) printJson(ctx, maskStreamKeys(status));
      else if (status.kind === 'batch') printLines(ctx, describeBatchStatus(status));
      else printLines(ctx, describeJobStatus(status));
    });
}
