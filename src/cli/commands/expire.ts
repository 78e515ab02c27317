import { Command } from 'commander';
import type { ScheduleExpiryResult, ScheduledExpiry } from '../../producer/index.js';
import { OperationalError, UsageError } from '../context.js';
import type { CliContext } from '../context.js';
import { formatTable, printJson, printLines } from '../output.js';
import {
  maskJobId,
  maskStreamKey,
  maskStreamKeys,
  parseTakedownRequest,
} from '../../jobs/index.js';
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

interface ExpireFlags extends ConfigFlags, RequestFlags {
  region?: string;
  key?: string;
  sid?: string;
  appId?: string;
  channel?: string;
  reason?: string;
  at?: string;
  in?: string;
  cancel?: boolean;
  list?: boolean;
  json?: boolean;
}

const UNIT_MS: Readonly<Record<string, number>> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};
const DURATION_RE = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)/;
/** BullMQ stores delays as ms in a 2^42-bit score; a decade is plenty and far below that. */
export const MAX_EXPIRY_MS = 3650 * 86_400_000;

/**
 * `90s`, `15m`, `2h`, `1d`, `1h30m`, `1.5h`, `500ms` → milliseconds. Throws UsageError naming
 * `flag` for anything else, zero included.
 */
export function parseDuration(raw: string, flag = '--in'): number {
  const allowed = `a duration such as 90s, 15m, 2h, 1d or 1h30m (units ms, s, m, h, d)`;
  const text = raw.trim();
  let rest = text;
  let total = 0;
  while (rest !== '') {
    const match = DURATION_RE.exec(rest);
    if (match === null) break;
    total += Number(match[1]) * (UNIT_MS[match[2] as string] ?? Number.NaN);
    rest = rest.slice(match[0].length);
  }
  if (text === '' || rest !== '' || !Number.isFinite(total)) {
    throw new UsageError(`${flag} must be ${allowed}; got ${JSON.stringify(raw)}`);
  }
  const ms = Math.round(total);
  if (ms <= 0) throw new UsageError(`${flag} must be more than zero; got ${JSON.stringify(raw)}`);
  if (ms > MAX_EXPIRY_MS)
    throw new UsageError(`${flag} must be at most 3650d; got ${JSON.stringify(raw)}`);
  return ms;
}

const ISO_RE =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:?\d{2})$/i;

/**
 * An ISO 8601 instant with its zone (`2026-05-01T18:00:00Z`, `…+02:00`). A time without a zone
 * is refused: it would be read in whatever zone the machine runs in.
 */
export function parseInstant(raw: string, flag = '--at'): Date {
  const allowed =
    'an ISO 8601 time with a zone, e.g. 2026-05-01T18:00:00Z or 2026-05-01T20:00:00+02:00';
  const m = ISO_RE.exec(raw.trim());
  const date = m === null ? undefined : new Date(raw.trim());
  // Date rolls 2026-02-30 over to March; the calendar fields must survive the round trip.
  if (m === null || date === undefined || Number.isNaN(date.getTime()) || !sameCalendarFields(m)) {
    throw new UsageError(`${flag} must be ${allowed}; got ${JSON.stringify(raw)}`);
  }
  return date;
}

function sameCalendarFields(m: RegExpExecArray): boolean {
  const [, y, mo, d, h, mi, s] = m;
  const month = Number(mo);
  const day = Number(d);
  const daysInMonth = new Date(Date.UTC(Number(y), month, 0)).getUTCDate();
  return (
    month >= 1 &&
    month <= 12 &&
    day >= 1 &&
    day <= daysInMonth &&
    Number(h) <= 23 &&
    Number(mi) <= 59 &&
    Number(s ?? 0) <= 59
  );
}

/**
 * When the takedown is due, from exactly one of --at / --in. `--in` counts from `now` (when the
 * command runs). A time not in the future is a usage error naming the option.
 */
export function resolveDueTime(flags: { at?: string; in?: string }, now: number): Date {
  if (flags.at !== undefined && flags.in !== undefined) {
    throw new UsageError('give either --at or --in, not both');
  }
  if (flags.at === undefined && flags.in === undefined) {
    throw new UsageError(
      'say when: --at ISO8601 (e.g. 2026-05-01T18:00:00Z) or --in 90s|15m|2h|1d',
    );
  }
  if (flags.in !== undefined) return new Date(now + parseDuration(flags.in));
  const at = parseInstant(flags.at as string);
  if (at.getTime() <= now) {
    throw new UsageError(
      `--at must be in the future; got ${at.toISOString()} (now is ${new Date(now).toISOString()})`,
    );
  }
  if (at.getTime() - now > MAX_EXPIRY_MS)
    throw new UsageError('--at must be at most 3650 days ahead');
  return at;
}

type Mode = 'schedule' | 'cancel' | 'list';

/** Which of the three forms was asked for; flags that do not belong to it are refused. */
function modeOf(flags: ExpireFlags): Mode {
  if (flags.cancel === true && flags.list === true) {
    throw new UsageError('give --cancel or --list, not both');
  }
  const mode: Mode = flags.cancel === true ? 'cancel' : flags.list === true ? 'list' : 'schedule';
  const allowed: Record<Mode, readonly (keyof ExpireFlags)[]> = {
    schedule: ['region', 'key', 'sid', 'appId', 'channel', 'reason', 'at', 'in'],
    cancel: ['key', 'appId'],
    list: [],
  };
  const names: Partial<Record<keyof ExpireFlags, string>> = {
    region: '--region',
    key: '--key',
    sid: '--sid',
    appId: '--app-id',
    channel: '--channel',
    reason: '--reason',
    at: '--at',
    in: '--in',
  };
  for (const [flag, name] of Object.entries(names) as [keyof ExpireFlags, string][]) {
    if (flags[flag] !== undefined && !allowed[mode].includes(flag)) {
      throw new UsageError(
        `${name} does not go with ${mode === 'schedule' ? 'scheduling' : `--${mode}`}`,
      );
    }
  }
  if (mode !== 'list' && flags.key === undefined) {
    throw new UsageError(
      `--key is required${mode === 'cancel' ? ' with --cancel' : ''}: the stream key whose takedown is scheduled`,
    );
  }
  if (mode === 'schedule' && flags.region === undefined) {
    throw new UsageError('--region is required: the region of the stream key (na, eu, ap, cn)');
  }
  return mode;
}

function scheduleLine(result: ScheduleExpiryResult, fullKey: string): string {
  const key = maskStreamKey(fullKey);
  if (result.status === 'running') {
    return `the scheduled takedown of ${key} (${maskJobId(result.jobId)}) has already started (${result.state}); nothing was changed and it runs to the end`;
  }
  const verb = result.status === 'rescheduled' ? 'moved' : 'scheduled';
  return `${verb}: ${key} is taken down at ${result.dueAt} (job ${maskJobId(result.jobId)})`;
}

function listLines(entries: readonly ScheduledExpiry[]): string[] {
  if (entries.length === 0) return ['no scheduled takedowns'];
  return formatTable(
    ['DUE AT', 'STREAM KEY', 'REGION', 'APP ID', 'SID', 'JOB ID', 'STARTED'],
    entries.map((e) => [
      e.dueAt,
      maskStreamKey(e.streamKey),
      e.region,
      e.appId,
      e.sid ?? '',
      maskJobId(e.jobId),
      e.state === undefined ? '' : `started (${e.state})`,
    ]),
  );
}

/**
 * `takedown expire`: schedule (or move) the takedown of a stream key at a moment, cancel it,
 * or list what is scheduled. Agora's own key expiry does not cut a push that is running; this does.
 */
export function expireCommand(ctx: CliContext): Command {
  const command = new Command('expire')
    .summary('schedule, cancel or list the takedown of a stream key at a set time')
    .description(
      'Schedule the takedown of a stream key at a moment (booked time over): at that time the key ' +
        'is revoked and its live sessions are cut. Scheduling a key again moves it; --cancel removes ' +
        'it; --list shows what is scheduled.',
    )
    .option('--region <region>', 'region of the key: na, eu, ap or cn')
    .option('--key <streamKey>', 'the stream key to take down')
    .option(
      '--sid <sid>',
      'a session of the key known now (its sessions are found at the time anyway)',
    )
    .option('--app-id <appId>', 'App ID (default: AGORA_APP_ID)')
    .option('--channel <channel>', 'channel of the stream (narrows the session search)')
    .option('--reason <text>', 'why (kept with the job)')
    .option('--at <time>', 'when, ISO 8601 with a zone: 2026-05-01T18:00:00Z')
    .option('--in <duration>', 'when, from now: 90s, 15m, 2h, 1d, 1h30m')
    .option('--cancel', 'cancel the scheduled takedown of --key')
    .option('--list', 'list the scheduled takedowns, soonest first')
    .option('--json', 'print one JSON document');
  addRequestFlags(command);
  addConfigOption(command);
  return command
    .addHelpText(
      'after',
      `
Examples:
  $ takedown expire --region na --key sk_live_123 --in 2h
  $ takedown expire --region eu --key sk_live_123 --at 2026-05-01T18:00:00Z --json
  $ takedown expire --cancel --key sk_live_123
  $ takedown expire --list --json

--json prints {jobId, status: scheduled|rescheduled|running, dueAt, streamKey, region, appId}
when scheduling (running: it has started, nothing changed, exit 0), {jobId, status:
cancelled|not-found|running|too-late, streamKey} for --cancel (exit 1 unless cancelled), and an
array of {streamKey (masked), region, appId, sid?, jobId, dueAt, state?} for --list (dueAt: the scheduled
time; state: only for one that has started).
${EXIT_CODES_HELP}`,
    )
    .action(async (flags: ExpireFlags) => {
      const json = flags.json === true;
      const mode = modeOf(flags);
      // --in counts from now, before connecting: the due time does not drift with Redis latency.
      const at = mode === 'schedule' ? resolveDueTime(flags, Date.now()) : undefined;
      const config = readConfig(ctx, flags);

      if (mode === 'list') {
        const entries = await withProducer(config, 'list scheduled takedowns', (p) =>
          p.listExpiries(),
        );
        // Not given the keys: masked in JSON too.
        if (json) printJson(ctx, maskStreamKeys(entries));
        else printLines(ctx, listLines(entries));
        return;
      }

      const key = flags.key as string;
      if (mode === 'cancel') {
        const ref = {
          streamKey: key,
          ...(flags.appId === undefined ? {} : { appId: flags.appId }),
        };
        const result = await withProducer(config, 'cancel the scheduled takedown', (p) =>
          p.cancelExpiry(ref),
        );
        if (json) printJson(ctx, { ...result, streamKey: key });
        else if (result.status === 'cancelled')
          printLines(ctx, [
            `cancelled: the scheduled takedown of ${maskStreamKey(key)} (${maskJobId(result.jobId)})`,
          ]);
        if (result.status === 'not-found') {
          if (!json)
            throw new OperationalError(
              `no scheduled takedown of ${maskStreamKey(key)} (${maskJobId(result.jobId)})`,
            );
          ctx.exitCode = 1;
        } else if (result.status === 'running') {
          if (!json) {
            throw new OperationalError(
              `cannot cancel: the takedown of ${maskStreamKey(key)} (${maskJobId(result.jobId)}) is already running (${result.state ?? 'active'}); it runs to the end`,
            );
          }
          ctx.exitCode = 1;
        } else if (result.status === 'too-late') {
          if (!json) {
            throw new OperationalError(
              `too late to cancel: the takedown of ${maskStreamKey(key)} (${maskJobId(result.jobId)}) has already run`,
            );
          }
          ctx.exitCode = 1;
        }
        return;
      }

      const request: Record<string, string> = { region: flags.region as string, streamKey: key };
      if (flags.sid !== undefined) request['sid'] = flags.sid;
      if (flags.appId !== undefined) request['appId'] = flags.appId;
      if (flags.channel !== undefined) request['channel'] = flags.channel;
      if (flags.reason !== undefined) request['reason'] = flags.reason;
      Object.assign(request, requestFieldsFromFlags(flags));
      // Validated before connecting: bad input is exit 2 whether or not Redis is up.
      const parsed = parseTakedownRequest(request, requestParseOptions(config));
      if (!parsed.ok) throw new UsageError(formatFlagErrors(parsed.errors));
      const result = await withProducer(config, 'schedule the takedown', (p) =>
        p.scheduleExpiry(request, at as Date),
      );
      if (json) {
        printJson(ctx, {
          ...result,
          streamKey: key,
          region: request['region'],
          appId: flags.appId ?? config.agora.appId ?? null,
        });
      } else {
        printLines(ctx, [scheduleLine(result, key)]);
      }
    });
}
