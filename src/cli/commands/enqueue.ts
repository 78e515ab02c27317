import { Command } from 'commander';
import { ConfigError, loadConfig } from '../../config/index.js';
import type { ResolvedConfig } from '../../config/index.js';
import { parseTakedownRequest } from '../../jobs/index.js';
import type { FieldError } from '../../jobs/index.js';
import { createLogger } from '../../logging/index.js';
import { RedisUnavailableError, ValidationError, createProducer } from '../../producer/index.js';
import type { EnqueueResult } from '../../producer/index.js';
import { OperationalError, UsageError } from '../context.js';
import type { CliContext } from '../context.js';
import { printJson, printLines } from '../output.js';

interface EnqueueFlags {
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

/** Payload field → the flag that sets it, so messages name what the user typed. */
const FLAG_OF: Readonly<Record<string, string>> = {
  region: '--region',
  sid: '--sid',
  streamKey: '--key',
  appId: '--app-id',
  channel: '--channel',
  reason: '--reason',
  priority: '--priority',
};

/** `--key: streamKey must be …; --region: …` (exported for tests). */
export function formatFlagErrors(errors: readonly FieldError[]): string {
  return errors
    .map((e) => {
      // "sid or streamKey is required" is reported on sid; either flag fixes it.
      const flag =
        e.field === 'sid' && e.message.includes('streamKey') ? '--sid/--key' : FLAG_OF[e.field];
      return `${flag ?? e.field}: ${e.message}`;
    })
    .join('; ');
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
  return request;
}

function describe(result: EnqueueResult): string {
  return result.status === 'enqueued'
    ? `enqueued ${result.jobId} (${result.state})`
    : `duplicate: ${result.jobId} already exists (${result.state}); nothing new was queued`;
}

function readConfig(ctx: CliContext, flags: EnqueueFlags): ResolvedConfig {
  try {
    return loadConfig({
      env: ctx.env,
      ...(flags.config === undefined ? {} : { file: flags.config }),
    });
  } catch (err) {
    if (err instanceof ConfigError) throw new UsageError(err.message, { cause: err });
    throw err;
  }
}

/**
 * `takedown enqueue`: queue one takedown. Exit 0 when enqueued or already queued (a duplicate),
 * 2 on invalid input (nothing queued), 1 when Redis is unreachable.
 */
export function enqueueCommand(ctx: CliContext): Command {
  return new Command('enqueue')
    .description(
      'Queue one takedown: revoke the stream key, then force-disconnect the session. ' +
        'Give a SID, a key, or both; a second request for the same SID is reported as a duplicate.',
    )
    .option('--region <region>', 'Agora region of the stream: na, eu, ap or cn (required)')
    .option('--sid <sid>', 'session id of the live push to cut')
    .option('--key <streamKey>', 'stream key to revoke')
    .option('--app-id <appId>', 'App ID (default: AGORA_APP_ID)')
    .option('--channel <channel>', 'channel of the stream (narrows the session search)')
    .option('--reason <text>', 'why (kept with the job, at most 500 characters)')
    .option('--priority <priority>', 'urgent, normal or bulk (default: normal)')
    .option('--json', 'print {"jobId","status","state"} as JSON')
    .option('--config <file>', 'JSON configuration file (env vars win over it)')
    .addHelpText(
      'after',
      `
Examples:
  $ takedown enqueue --region na --sid 0a1b2c3d --priority urgent
  $ takedown enqueue --region eu --key sk_live_123 --reason "policy 4.2" --json
  $ takedown enqueue --region ap --sid 0a1b2c3d --key sk_live_123 --app-id 0123456789abcdef0123456789abcdef`,
    )
    .action(async (flags: EnqueueFlags) => {
      const config = readConfig(ctx, flags);
      const request = toTakedownRequest(flags);
      // Validated before connecting: bad input is exit 2 whether or not Redis is up.
      const parsed = parseTakedownRequest(request, { defaultAppId: config.agora.appId });
      if (!parsed.ok) throw new UsageError(`invalid takedown: ${formatFlagErrors(parsed.errors)}`);

      const verbose = config.log.level === 'debug' || config.log.level === 'trace';
      const logger = createLogger({
        level: verbose ? config.log.level : 'warn',
        pretty: config.log.pretty,
      });
      let producer;
      try {
        producer = await createProducer({
          redisUrl: config.redis.url,
          prefix: config.prefix,
          logger,
          defaultAppId: config.agora.appId,
          attempts: config.takedown.attempts,
          idempotencyWindowS: config.takedown.idempotencyWindowS,
        });
      } catch (err) {
        if (err instanceof RedisUnavailableError) {
          throw new OperationalError(`cannot enqueue: ${err.message}`, { cause: err });
        }
        throw err;
      }
      try {
        const result = await producer.enqueue(request);
        if (flags.json === true) {
          printJson(ctx, { jobId: result.jobId, status: result.status, state: result.state });
        } else {
          printLines(ctx, [describe(result)]);
        }
      } catch (err) {
        if (err instanceof ValidationError) {
          throw new UsageError(`invalid takedown: ${formatFlagErrors(err.fieldErrors)}`, {
            cause: err,
          });
        }
        if (err instanceof RedisUnavailableError) {
          throw new OperationalError(`cannot enqueue: ${err.message}`, { cause: err });
        }
        throw err;
      } finally {
        await producer.close();
      }
    });
}
