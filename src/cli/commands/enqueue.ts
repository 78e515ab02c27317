import { Command } from 'commander';
import { maskJobId, parseTakedownRequest } from '../../jobs/index.js';
import type { FieldError } from '../../jobs/index.js';
import { ValidationError } from '../../producer/index.js';
import type { EnqueueResult } from '../../producer/index.js';
import { UsageError } from '../context.js';
import type { CliContext } from '../context.js';
import { describeMerge } from '../format/describe-merge.js';
import { printJson, printLines } from '../output.js';
import {
  addConfigOption,
  formatFlagErrors,
  readConfig,
  requestParseOptions,
  withProducer,
} from './command-support.js';
import { addRequestFlags, requestFieldsFromFlags } from './request-flags.js';
import type { RequestFlags } from './request-flags.js';

interface EnqueueFlags extends RequestFlags {
  region?: string;
  sid?: string;
  key?: string;
  appId?: string;
  channel?: string;
  reason?: string;
  priority?: string;
  json?: boolean;
  config?: string;
}

/** Exit 2, naming the flags; "sid or streamKey is required" is fixed by either flag. */
function invalidTakedown(errors: readonly FieldError[], cause?: unknown): UsageError {
  const message = `invalid takedown: ${formatFlagErrors(errors, { sidOrKey: true })}`;
  return cause === undefined ? new UsageError(message) : new UsageError(message, { cause });
}

/** Flags → a takedown request (only the flags given). */
export function toTakedownRequest(flags: EnqueueFlags): Record<string, string> {
  const request: Record<string, string> = {};
  if (flags.region !== undefined) request['region'] = flags.region;
  if (flags.sid !== undefined) request['sid'] = flags.sid;
  if (flags.key !== undefined) request['streamKey'] = flags.key;
  if (flags.appId !== undefined) request['appId'] = flags.appId;
  if (flags.channel !== undefined) request['channel'] = flags.channel;
  if (flags.reason !== undefined) request['reason'] = flags.reason;
  if (flags.priority !== undefined) request['priority'] = flags.priority;
  return { ...request, ...requestFieldsFromFlags(flags) };
}

function describe(result: EnqueueResult): string {
  if (result.status === 'enqueued') return `enqueued ${maskJobId(result.jobId)} (${result.state})`;
  return `duplicate: ${maskJobId(result.jobId)} already exists (${result.state}): ${describeMerge(
    result.merged ?? [],
    result.priority,
    result.keyTakedown === undefined ? undefined : maskJobId(result.keyTakedown.jobId),
    result.unmerged?.extraRegions,
  )}`;
}

/** The `--json` document: a duplicate also says what the request changed (DESIGN §8). */
export function toEnqueueJson(result: EnqueueResult): Record<string, unknown> {
  const out: Record<string, unknown> = {
    jobId: result.jobId,
    status: result.status,
    state: result.state,
    priority: result.priority,
  };
  if (result.status === 'duplicate') out['merged'] = result.merged ?? [];
  if (result.keyTakedown !== undefined) out['keyTakedown'] = toEnqueueJson(result.keyTakedown);
  if (result.unmerged !== undefined) out['unmerged'] = result.unmerged;
  return out;
}

/**
 * `takedown enqueue`: queue one takedown. Exit 0 when enqueued or already queued (a duplicate),
 * 2 on invalid input (nothing queued), 1 when Redis is unreachable.
 */
export function enqueueCommand(ctx: CliContext): Command {
  const command = new Command('enqueue')
    .description(
      'Queue one takedown: revoke the stream key, then force-disconnect the session. ' +
        'Give a SID, a key, or both; a second request for the same SID is a duplicate merged into ' +
        'the queued takedown (a higher priority, a new key).',
    )
    .option('--region <region>', 'Agora region of the stream: na, eu, ap or cn (required)')
    .option('--sid <sid>', 'session id of the live push to cut')
    .option('--key <streamKey>', 'stream key to revoke')
    .option('--app-id <appId>', 'App ID (default: AGORA_APP_ID)')
    .option('--channel <channel>', 'channel of the stream (narrows the session search)')

    .option('--reason <text>', 'why (kept with the job, at most 500 characters)')
    .option('--priority <priority>', 'urgent, normal or bulk (default: normal)')
    .option(
      '--json',
      'print {"jobId","status","state","priority"} (+ "merged" for a duplicate) as JSON',
    );
  addRequestFlags(command);
  addConfigOption(command);
  return command
    .addHelpText(
      'after',
      `
Examples:
  $ takedown enqueue --region na --sid 0a1b2c3d --priority urgent
  $ takedown enqueue --region eu --key sk_live_123 --reason "policy 4.2" --json
  $ takedown enqueue --region ap --sid 0a1b2c3d --key sk_live_123 --app-id 0123456789abcdef0123456789abcdef
  $ takedown enqueue --region na --key sk_live_123 --extra-regions eu,ap
  $ takedown enqueue --region eu --sid 0a1b2c3d --requested-by alice --callback-url https://hooks.example.com/td`,
    )
    .action(async (flags: EnqueueFlags) => {
      const config = readConfig(ctx, flags);
      const request = toTakedownRequest(flags);
      // Validated before connecting: bad input is exit 2 whether or not Redis is up.
      const parsed = parseTakedownRequest(request, requestParseOptions(config));
      if (!parsed.ok) throw invalidTakedown(parsed.errors);

      // withProducer maps Redis unreachable to exit 1 ("cannot enqueue: …") and closes the producer.
      const result = await withProducer(config, 'enqueue', async (producer) => {
        try {
          return await producer.enqueue(request);
        } catch (err) {
          // Keeps the "invalid takedown:" prefix that withProducer's own mapping leaves out.
          if (err instanceof ValidationError) throw invalidTakedown(err.fieldErrors, err);
          throw err;
        }
      });
      if (flags.json === true) {
        printJson(ctx, toEnqueueJson(result));
      } else {
        printLines(ctx, [describe(result)]);
      }
    });
}
