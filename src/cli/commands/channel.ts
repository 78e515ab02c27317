import { Command, Option } from 'commander';
import {
  createAgoraClient,
  describeAllowed,
  isAgoraError,
  isAgoraHttpError,
  isValidAppId,
  isValidChannel,
  isValidRegion,
} from '../../agora/index.js';
import type { OnlineStream, Region } from '../../agora/index.js';
import type { ResolvedConfig } from '../../config/index.js';
import { PRIORITY_VALUES, maskStreamKey, parseTakedownRequest } from '../../jobs/index.js';
import type { TakedownPriority } from '../../jobs/index.js';
import type { BatchItemResult, MergeChange } from '../../producer/index.js';
import { OperationalError, UsageError } from '../context.js';
import type { CliContext } from '../context.js';
import { describeMerge } from '../format/describe-merge.js';
import { printError, printJson, printLines } from '../output.js';
import {
  EXIT_CODES_HELP,
  addConfigOption,
  formatFlagErrors,
  readConfig,
  requestParseOptions,
  withProducer,
} from './command-support.js';
import type { ConfigFlags } from './command-support.js';
import { addRequestFlags, requestFieldsFromFlags } from './request-flags.js';
import type { RequestFlags } from './request-flags.js';

interface ChannelFlags extends ConfigFlags, RequestFlags {
  region?: string;
  channel?: string;
  appId?: string;
  priority?: TakedownPriority;
  reason?: string;
  json?: boolean;
}

export interface ChannelSweepTarget {
  region: Region;
  appId: string;
  channel: string;
}

/** Flags + config → what to sweep; every problem is a usage error naming its flag. */
export function toSweepTarget(
  flags: ChannelFlags,
  defaultAppId: string | undefined,
): ChannelSweepTarget {
  const problems: string[] = [];
  if (flags.region === undefined) problems.push(`--region is required: ${describeAllowed.region}`);
  else if (!isValidRegion(flags.region)) {
    problems.push(
      `--region must be ${describeAllowed.region}; got ${JSON.stringify(flags.region)}`,
    );
  }
  if (flags.channel === undefined) problems.push('--channel is required: the channel to sweep');
  else if (!isValidChannel(flags.channel)) {
    problems.push(
      `--channel must be ${describeAllowed.channel}; got ${JSON.stringify(flags.channel)}`,
    );
  }
  const appId = flags.appId ?? (defaultAppId === '' ? undefined : defaultAppId);
  if (appId === undefined) problems.push('--app-id is required (no AGORA_APP_ID is configured)');
  else if (!isValidAppId(appId)) {
    problems.push(
      `${flags.appId === undefined ? 'AGORA_APP_ID' : '--app-id'} must be ${describeAllowed.appId}`,
    );
  }
  if (problems.length > 0) throw new UsageError(problems.join('; '));
  return {
    region: flags.region as Region,
    appId: appId as string,
    channel: flags.channel as string,
  };
}

/** The live streams of the channel, from the Media Gateway (config agora.*). */
async function listChannelStreams(
  config: ResolvedConfig,
  target: ChannelSweepTarget,
): Promise<OnlineStream[]> {
  const { customerId, customerSecret } = config.agora;
  if (customerId === undefined || customerSecret === undefined) {
    throw new UsageError(
      "AGORA_CUSTOMER_ID and AGORA_CUSTOMER_SECRET must be set to list the channel's live streams",
    );
  }
  const client = createAgoraClient({
    baseUrl: config.agora.baseUrl,
    auth: { scheme: config.agora.auth, customerId, customerSecret },
    timeoutMs: config.agora.timeoutMs,
  });
  try {
    const { streams } = await client.listOnlineStreams(target);
    // The API filters by channel; keep to it even if an answer strays.
    return streams.filter((s) => s.channel === target.channel);
  } catch (err) {
    if (isAgoraError(err)) {
      const hint =
        isAgoraHttpError(err) && (err.status === 401 || err.status === 403)
          ? ' (check AGORA_CUSTOMER_ID / AGORA_CUSTOMER_SECRET and AGORA_AUTH)'
          : '';
      throw new OperationalError(
        `cannot list the live streams of channel ${JSON.stringify(target.channel)}: ${err.message}${hint}`,
        { cause: err },
      );
    }
    throw err;
  } finally {
    await client.close();
  }
}

function streamRequest(
  target: ChannelSweepTarget,
  stream: OnlineStream,
  flags: ChannelFlags,
): Record<string, string> {
  const request: Record<string, string> = {
    region: target.region,
    appId: target.appId,
    sid: stream.sid,
    channel: target.channel,
    priority: flags.priority ?? 'normal',
  };
  // Without a key in the url, the takedown's resolve step asks Agora for it.
  if (stream.streamKey !== undefined) request['streamKey'] = stream.streamKey;
  if (flags.reason !== undefined) request['reason'] = flags.reason;
  return { ...request, ...requestFieldsFromFlags(flags) };
}

interface SweepEntry {
  sid: string;
  streamKey: string | null;
  uid: string;
  status: 'enqueued' | 'duplicate' | 'rejected';
  jobId?: string;
  state?: string;
  priority?: string;
  /** Duplicates: what the sweep changed in the takedown already queued for the SID. */
  merged?: MergeChange[];
  keyJobId?: string;
  /** Duplicates: extra regions no takedown will handle (see EnqueueResult.unmerged). */
  unmergedRegions?: string[];
  errors?: { field: string; message: string }[];
}

function toEntry(stream: OnlineStream, result: BatchItemResult | undefined): SweepEntry {
  // Found, not given: the keys are shown masked, in JSON too.
  const base = {
    sid: stream.sid,
    streamKey: stream.streamKey === undefined ? null : maskStreamKey(stream.streamKey),
    uid: stream.uid,
  };
  if (result === undefined || result.status === 'rejected') {
    return { ...base, status: 'rejected', errors: result?.errors ?? [] };
  }
  const entry: SweepEntry = {
    ...base,
    status: result.status,
    jobId: result.jobId,
    state: result.state,
    priority: result.priority,
  };
  if (result.merged !== undefined) entry.merged = result.merged;
  if (result.keyTakedown !== undefined) entry.keyJobId = result.keyTakedown.jobId;
  if (result.unmerged !== undefined) entry.unmergedRegions = result.unmerged.extraRegions;
  return entry;
}

/** `takedown channel`: take down every live stream of a channel, as one batch. */
export function channelCommand(ctx: CliContext): Command {
  const command = new Command('channel')
    .summary('take down every live stream of a channel')
    .description(
      'Sweep a channel: list its live streams on Agora and enqueue a takedown for each (its SID, ' +
        'and the stream key from its url), as one batch.',
    )
    .option('--region <region>', 'region of the streams: na, eu, ap or cn (required)')
    .option('--channel <channel>', 'the channel to sweep (required)')
    .option('--app-id <appId>', 'App ID (default: AGORA_APP_ID)')
    .addOption(
      new Option('--priority <priority>', 'priority of the takedowns (default: normal)').choices(
        PRIORITY_VALUES,
      ),
    )
    .option('--reason <text>', 'why (kept with each job)')
    .option(
      '--json',
      'print {batchId, channel, streams, results: [{sid, streamKey, jobId, status, state}]}',
    );
  addRequestFlags(command);
  addConfigOption(command);
  return command
    .addHelpText(
      'after',
      `
Examples:
  $ takedown channel --region na --channel lobby
  $ takedown channel --region eu --channel "match 42" --priority urgent --reason "policy 4.2" --json

Needs AGORA_CUSTOMER_ID / AGORA_CUSTOMER_SECRET (and AGORA_BASE_URL for the simulator) to list
the channel, and Redis to enqueue. A channel with no live stream enqueues nothing (exit 0).
${EXIT_CODES_HELP}`,
    )
    .action(async (flags: ChannelFlags) => {
      const config = readConfig(ctx, flags);
      const target = toSweepTarget(flags, config.agora.appId);
      // The request flags (--extra-regions, --callback-url…) apply to every stream: checked once,
      // before Redis or Agora is asked, so a typo is exit 2 and not one rejection per stream.
      const probe = parseTakedownRequest(
        {
          region: target.region,
          appId: target.appId,
          sid: 'probe',
          ...requestFieldsFromFlags(flags),
        },
        requestParseOptions(config),
      );
      if (!probe.ok) throw new UsageError(`invalid takedown: ${formatFlagErrors(probe.errors)}`);
      const json = flags.json === true;
      const outcome = await withProducer(config, 'enqueue the channel sweep', async (producer) => {
        // Redis is checked (by connecting) before Agora is asked: no listing for nothing.
        const streams = await listChannelStreams(config, target);
        if (streams.length === 0) return { streams, batchId: null, results: [] };
        const requests = streams.map((s) => streamRequest(target, s, flags));
        const result = await producer.enqueueMany(requests);
        return { streams, batchId: result.batchId, results: result.results };
      });
      const entries = outcome.streams.map((s, i) =>
        toEntry(
          s,
          outcome.results.find((r) => r.index === i),
        ),
      );
      if (json) {
        printJson(ctx, {
          batchId: outcome.batchId,
          channel: target.channel,
          region: target.region,
          appId: target.appId,
          streams: outcome.streams.length,
          results: entries,
        });
      } else if (outcome.batchId === null) {
        printLines(ctx, [
          `no live streams in channel ${JSON.stringify(target.channel)}; nothing enqueued`,
        ]);
      } else {
        const enqueued = entries.filter((e) => e.status === 'enqueued').length;
        const duplicates = entries.filter((e) => e.status === 'duplicate').length;
        printLines(ctx, [
          `batch ${outcome.batchId}: ${entries.length} live streams in channel ${JSON.stringify(target.channel)}: ` +
            `${enqueued} enqueued, ${duplicates} duplicates`,
          ...entries
            .filter((e) => e.status !== 'rejected')
            .map(
              (e) =>
                `  ${e.status === 'enqueued' ? 'enqueued ' : 'duplicate'} ${e.jobId ?? ''} (sid ${e.sid}${e.streamKey === null ? '' : `, key ${e.streamKey}`})` +
                (e.status === 'duplicate'
                  ? `: ${describeMerge(e.merged ?? [], e.priority ?? '', e.keyJobId, e.unmergedRegions)}`
                  : ''),
            ),
        ]);
      }
      const rejected = entries.filter((e) => e.status === 'rejected');
      if (!json) {
        for (const e of rejected) {
          printError(
            ctx,
            `sid ${e.sid}: not enqueued: ${(e.errors ?? []).map((x) => `${x.field}: ${x.message}`).join('; ')}`,
          );
        }
      }
      if (rejected.length > 0) ctx.exitCode = 1;
    });
}
