import { createHash } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import type { RedisClient } from '../redis/index.js';
import { scanKeys } from '../redis/index.js';
import type { CallClass } from '../agora/types.js';
import { rateLimitKey } from '../jobs/queue-names.js';
import { RateLimitBusyError } from './rate-limit-busy-error.js';

/** Calls per second per App ID and call class; 0 = unlimited (no Redis round trip at all). */
export interface RateLimits {
  create: number;
  delete: number;
  query: number;
}

export interface RateLimiterOptions {
  /** Shared by every worker process; the limiter does not close it. */
  redis: RedisClient;
  /** Key prefix (the queue prefix); keys are `rateLimitKey(prefix, appId, cls)`. */
  prefix: string;
  limits: RateLimits;
  /**
   * Longest a caller may wait for its slot while holding a concurrency slot. A longer backlog
   * reserves nothing and throws `RateLimitBusyError`, so the job is parked and the worker slot
   * serves another App ID: short, or one busy App ID ties up every slot and starves the others.
   * Keep it well below the job lock duration.
   * @defaultValue 250
   */
  maxHoldMs?: number;
  /**
   * Hold budget of an urgent call: it waits for its slot rather than being parked (a parked job
   * would rejoin the back of the line). Only a 429 pause makes it wait long; that pause is capped.
   * @defaultValue 10000
   */
  urgentMaxHoldMs?: number;
}

export interface RateLimitState {
  appId: string;
  cls: CallClass;
  /** How far ahead of now this App ID's schedule is booked (0 = idle). */
  backlogMs: number;
}

export interface AcquireOptions {
  /** This call's hold budget instead of the limiter's (`maxHoldMs`, or `urgentMaxHoldMs` when urgent). */
  maxHoldMs?: number;
  /**
   * Urgent lane: book the App ID's next real slot directly, ahead of every bulk caller waiting in
   * line, so an urgent call waits about one emission interval however saturated the App ID is.
   * Decided per call, so a job upgraded to urgent while it runs takes this lane from its next call.
   */
  urgent?: boolean;
}

export interface RateLimiter {
  /** Waits for this App ID's next slot of `cls`. Throws RateLimitBusyError, or the signal's reason. */
  acquire(
    appId: string,
    cls: CallClass,
    signal?: AbortSignal,
    options?: AcquireOptions,
  ): Promise<{ waitedMs: number }>;
  /** After a 429: nobody (in any process) calls this App ID's `cls` for the next `ms`. */
  penalize(appId: string, cls: CallClass, ms: number): Promise<void>;
  /** Every App ID and class with a live schedule (for stats); SCANs the prefix. */
  state(): Promise<RateLimitState[]>;
  /** Rejects pending waits and refuses new ones. Does not close the Redis connection. */
  close(): Promise<void>;
}

const CALL_CLASSES: readonly CallClass[] = ['create', 'delete', 'query'];

/**
 * Burst tolerance in emission intervals. One interval keeps the limiter from losing a slot to
 * client-side jitter, while a 1 s window still sees at most L + 1 calls — well inside Agora's
 * (and the simulator's) bucket of L.
 */
const TOLERANCE_INTERVALS = 1;

/** Keys outlive their schedule by this much, then vanish, so idle App IDs cost nothing. */
const IDLE_TTL_MS = 1000;

/** Default of `maxHoldMs`. */
const DEFAULT_MAX_HOLD_MS = 250;

/** Default of `urgentMaxHoldMs`. */
const DEFAULT_URGENT_MAX_HOLD_MS = 10_000;

/**
 * How far ahead of now a bulk caller may book a real slot, in emission intervals. With the one
 * interval of tolerance it absorbs 1.5 intervals of timer and round-trip lateness (each waiter
 * commits while the slot before it is still booked), and it bounds what an urgent call can find
 * booked ahead of it: its wait is at most 1.5 intervals.
 */
const COMMIT_LEAD_INTERVALS = 0.5;

/** Keys next to the schedule key (same hash tag on Cluster): the bulk line and the parked line. */
const LINE_SUFFIX = ':line';
const PARKED_SUFFIX = ':parked';

/**
 * Two GCRA schedules per App ID and call class, in µs of Redis server TIME (every process shares
 * the server clock, never its own):
 *  - KEYS[1], the real schedule `tat`: when the next call may go out. Every call that goes out
 *    books it (tat += interval); it never runs more than about two intervals ahead of now except
 *    after a 429 pause, so an urgent call that books it directly waits about one interval.
 *  - KEYS[2], the bulk line `line`: tickets for non-urgent callers, one interval apart. A bulk
 *    caller takes a ticket and commits (books `tat`) only when its ticket is within
 *    COMMIT_LEAD_INTERVALS of now, so bulk bookings never stand between an urgent call and the
 *    App ID. Urgent calls take a place in the line too, so bulk yields that slot.
 *  - KEYS[3], the parked line: callers whose ticket would be further ahead than their hold budget
 *    take no ticket but a virtual place (ptat = max(ptat, line) + interval) and come back in that
 *    order, one interval apart, instead of all at once — a herd would re-park again and again,
 *    and a late return would leave the App ID's slots unused.
 * Modes (ARGV[1]); ARGV[2] interval, ARGV[3] tolerance, ARGV[4] hold budget or value (µs):
 *  - take    (bulk) ticket wait = max(0, line − tolerance − now). Over budget: park (nothing
 *            booked). Ticket and real slot both within the commit lead: book in one go.
 *            Otherwise: ticket only; the caller sleeps until it is within the lead and commits.
 *  - commit  (bulk, with a ticket) book tat when its wait is within the lead; otherwise book
 *            nothing and say how long (an urgent call cut in: come back a little later); over
 *            budget (a 429 pause came in): park. So bulk never books tat more than the lead ahead.
 *  - urgent  book tat directly (within its budget) and take a place in the line.
 *  Replies {1 booked | 2 not yet | 0 parked, wait µs, booked value as string, parked place µs}.
 *  - release ARGV[4] = a value returned by take/commit/urgent, ARGV[5] = 'tat' | 'line': unbook
 *            it if nobody booked after it (an aborted wait).
 *  - penalize ARGV[4] = penalty (µs): tat and line ≥ now + tolerance + penalty. Not additive:
 *    twenty concurrent 429s mean "pause this App ID for the penalty", not twenty penalties.
 */
const GCRA_SCRIPT = `
if redis.replicate_commands then redis.replicate_commands() end
local mode = ARGV[1]
local interval = tonumber(ARGV[2])
local tolerance = tonumber(ARGV[3])
local arg = ARGV[4]
local lead = interval * ${COMMIT_LEAD_INTERVALS}
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])

local function load(k)
  local raw = redis.call('GET', k)
  local v = raw and tonumber(raw) or 0
  if v < now then v = now end
  return v, raw
end
local function storeAt(k, newTat)
  local ttl = math.ceil((newTat - now) / 1000) + ${IDLE_TTL_MS}
  if ttl < 1 then ttl = 1 end
  local s = string.format('%.0f', newTat)
  redis.call('SET', k, s, 'PX', ttl)
  return s
end
local function waitFor(v)
  local w = v - tolerance - now
  if w < 0 then w = 0 end
  return w
end

if mode == 'take' then
  local line = load(KEYS[2])
  local wait = waitFor(line)
  if wait > tonumber(arg) then
    local praw = redis.call('GET', KEYS[3])
    local ptat = praw and tonumber(praw) or 0
    if ptat < line then ptat = line end
    ptat = ptat + interval
    storeAt(KEYS[3], ptat)
    return {0, math.ceil(wait), '', math.ceil(ptat - tolerance - now)}
  end
  local ticket = storeAt(KEYS[2], line + interval)
  if wait <= lead then
    local tat = load(KEYS[1])
    local w = waitFor(tat)
    if w <= lead then return {1, math.ceil(w), storeAt(KEYS[1], tat + interval), 0} end
  end
  return {2, math.ceil(wait), ticket, 0}
elseif mode == 'commit' or mode == 'urgent' then
  local tat = load(KEYS[1])
  local wait = waitFor(tat)
  if wait > tonumber(arg) then return {0, math.ceil(wait), '', math.ceil(wait)} end
  if mode == 'commit' and wait > lead then return {2, math.ceil(wait), '', 0} end
  if mode == 'urgent' then
    local line = load(KEYS[2])
    storeAt(KEYS[2], line + interval)
  end
  return {1, math.ceil(wait), storeAt(KEYS[1], tat + interval), 0}
elseif mode == 'release' then
  local k = KEYS[1]
  if ARGV[5] == 'line' then k = KEYS[2] end
  if redis.call('GET', k) == arg then
    storeAt(k, tonumber(arg) - interval)
    return 1
  end
  return 0
elseif mode == 'penalize' then
  local floor = now + tolerance + tonumber(arg)
  for i = 1, 2 do
    local v = load(KEYS[i])
    if v < floor then storeAt(KEYS[i], floor) end
  end
  return 1
end
return redis.error_reply('unknown rate limiter mode ' .. tostring(mode))
`;
const GCRA_SHA = createHash('sha1').update(GCRA_SCRIPT).digest('hex');

function assertRate(field: string, value: unknown): asserts value is number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new RangeError(
      `rate limiter: ${field} must be a finite number ≥ 0 (0 = unlimited), got ${String(value)}`,
    );
  }
}

function validateOptions(options: RateLimiterOptions): Required<Omit<RateLimiterOptions, 'redis'>> {
  if (typeof options.prefix !== 'string' || options.prefix.length === 0) {
    throw new TypeError('rate limiter: prefix must be a non-empty string');
  }
  for (const cls of CALL_CLASSES) assertRate(`limits.${cls}`, options.limits[cls]);
  const maxHoldMs = options.maxHoldMs ?? DEFAULT_MAX_HOLD_MS;
  const urgentMaxHoldMs = options.urgentMaxHoldMs ?? DEFAULT_URGENT_MAX_HOLD_MS;
  for (const [field, value] of [
    ['maxHoldMs', maxHoldMs],
    ['urgentMaxHoldMs', urgentMaxHoldMs],
  ] as const) {
    if (!Number.isFinite(value) || value < 0) {
      throw new RangeError(
        `rate limiter: ${field} must be a finite number ≥ 0, got ${String(value)}`,
      );
    }
  }
  return { prefix: options.prefix, limits: { ...options.limits }, maxHoldMs, urgentMaxHoldMs };
}

/** The signal's own reason (AbortController.abort() makes a DOMException AbortError). */
function abortReason(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  if (reason instanceof Error) return reason;
  const err = new Error(`This operation was aborted: ${String(reason)}`, { cause: reason });
  err.name = 'AbortError';
  return err;
}

/** setTimeout that any of the signals can cut short (rejecting with that signal's reason). */
function abortableSleep(ms: number, signals: readonly AbortSignal[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const aborted = signals.find((s) => s.aborted);
    if (aborted) {
      reject(abortReason(aborted));
      return;
    }
    const cleanup = (): void => {
      clearTimeout(timer);
      for (const s of signals) s.removeEventListener('abort', onAbort);
    };
    const onAbort = (event: Event): void => {
      cleanup();
      reject(abortReason(event.target as AbortSignal));
    };
    const timer = setTimeout(() => {
      cleanup();
      resolve();
    }, ms);
    for (const s of signals) s.addEventListener('abort', onAbort, { once: true });
  });
}

function escapeGlob(value: string): string {
  return value.replace(/[*?[\]\\]/g, '\\$&');
}

function isCallClass(value: string): value is CallClass {
  return (CALL_CLASSES as readonly string[]).includes(value);
}

export function createRateLimiter(options: RateLimiterOptions): RateLimiter {
  const { prefix, limits, maxHoldMs, urgentMaxHoldMs } = validateOptions(options);
  const { redis } = options;
  const closing = new AbortController();
  // Every waiting acquire listens on it; hundreds at high concurrency are expected, not a leak.
  setMaxListeners(0, closing.signal);

  const run = async (key: string, args: readonly (string | number)[]): Promise<unknown> => {
    const keys = [key, key + LINE_SUFFIX, key + PARKED_SUFFIX];
    try {
      return await redis.evalsha(GCRA_SHA, keys.length, ...keys, ...args);
    } catch (err) {
      // First use on this server (or after SCRIPT FLUSH / a restart): EVAL also caches it.
      if (err instanceof Error && err.message.startsWith('NOSCRIPT')) {
        return redis.eval(GCRA_SCRIPT, keys.length, ...keys, ...args);
      }
      throw err;
    }
  };

  const intervalUs = (cls: CallClass): number => 1_000_000 / limits[cls];

  type Reply = [number, number, string, number];
  const call = async (key: string, args: readonly (string | number)[]): Promise<Reply> => {
    const reply = await run(key, args);
    if (!Array.isArray(reply) || reply.length !== 4) {
      throw new Error(`rate limiter: unexpected script reply ${JSON.stringify(reply)}`);
    }
    return reply as Reply;
  };

  /** Sleeps `ms`; when the caller's signal (or close) cuts it short, `release` runs first. */
  const sleepOrRelease = async (
    ms: number,
    signal: AbortSignal | undefined,
    release: () => Promise<unknown>,
  ): Promise<void> => {
    if (ms <= 0) return;
    const signals = signal ? [signal, closing.signal] : [closing.signal];
    try {
      await abortableSleep(ms, signals);
    } catch (err) {
      // Hand the unused slot or ticket back (only possible while nobody booked after it).
      await release().catch(() => undefined);
      throw err;
    }
  };

  const acquire = async (
    appId: string,
    cls: CallClass,
    signal?: AbortSignal,
    acquireOptions: AcquireOptions = {},
  ): Promise<{ waitedMs: number }> => {
    const urgent = acquireOptions.urgent === true;
    const holdMs = acquireOptions.maxHoldMs ?? (urgent ? urgentMaxHoldMs : maxHoldMs);
    if (closing.signal.aborted) throw new Error('rate limiter is closed');
    if (signal?.aborted) throw abortReason(signal);
    if (limits[cls] === 0) return { waitedMs: 0 };
    const started = performance.now();
    const key = rateLimitKey(prefix, appId, cls);
    const interval = intervalUs(cls);
    const tolerance = interval * TOLERANCE_INTERVALS;
    const holdUs = Math.floor(holdMs * 1000);
    const busy = (waitUs: number, parkedUs: number): RateLimitBusyError =>
      new RateLimitBusyError({
        appId,
        callClass: cls,
        backlogMs: Math.ceil(waitUs / 1000),
        // Back when its place in the parked queue is half the hold budget away: then it books
        // within the budget even if a few others got in first.
        retryAfterMs: Math.max(1, Math.ceil(parkedUs / 1000 - holdMs / 2)),
      });

    let [state, waitUs, booked, parkedUs] = await call(key, [
      urgent ? 'urgent' : 'take',
      interval,
      tolerance,
      holdUs,
    ]);
    if (state === 2) {
      // A ticket in the bulk line: wait in this process until it, and then the real slot, is
      // within one lead of now; then book.
      const ticket = booked;
      const leadMs = (interval * COMMIT_LEAD_INTERVALS) / 1000;
      let release = (): Promise<unknown> => run(key, ['release', interval, 0, ticket, 'line']);
      while (state === 2) {
        await sleepOrRelease(Math.floor(waitUs / 1000 - leadMs), signal, release);
        // The ticket is spent once we commit; an aborted retry has nothing left to hand back.
        release = () => Promise.resolve();
        const elapsedUs = (performance.now() - started) * 1000;
        [state, waitUs, booked, parkedUs] = await call(key, [
          'commit',
          interval,
          tolerance,
          // The ticket was within budget; only a 429 pause since then makes this one park.
          Math.max(holdUs - elapsedUs, 3 * interval),
        ]);
      }
    }
    if (state !== 1) throw busy(waitUs, parkedUs);
    const slot = booked;
    await sleepOrRelease(Math.ceil(waitUs / 1000), signal, () =>
      run(key, ['release', interval, 0, slot, 'tat']),
    );
    return { waitedMs: Math.round(performance.now() - started) };
  };

  const penalize = async (appId: string, cls: CallClass, ms: number): Promise<void> => {
    if (!Number.isFinite(ms) || ms < 0) {
      throw new RangeError(`rate limiter: penalty ms must be a finite number ≥ 0, got ${ms}`);
    }
    if (limits[cls] === 0 || ms === 0) return;
    const interval = intervalUs(cls);
    await run(rateLimitKey(prefix, appId, cls), [
      'penalize',
      interval,
      interval * TOLERANCE_INTERVALS,
      Math.round(ms * 1000),
    ]);
  };

  const state = async (): Promise<RateLimitState[]> => {
    const head = rateLimitKey(prefix, '', '').slice(0, -1); // `${prefix}:ratelimit:`
    const pattern = `${escapeGlob(head)}*`;
    const byKey = new Map<string, RateLimitState>();
    const [sec, usec] = await redis.time();
    const nowUs = Number(sec) * 1_000_000 + Number(usec);
    // Every master; and no MGET: on a Cluster one node's keys may span several slots.
    for await (const keys of scanKeys(redis, pattern, 200)) {
      const values = await Promise.all(keys.map((key) => redis.get(key)));
      keys.forEach((key, i) => {
        const raw = values[i];
        if (raw === null || raw === undefined) return;
        // The bulk line counts as booked: it is how far ahead a new bulk caller's turn is.
        const rest = key.slice(head.length).replace(/:line$/, '');
        const sep = rest.lastIndexOf(':');
        const cls = rest.slice(sep + 1);
        // Also skips the parked-queue keys (`…:<cls>:parked`).
        if (sep <= 0 || !isCallClass(cls)) return;
        const backlogMs = Math.max(0, Math.ceil((Number(raw) - nowUs) / 1000));
        const id = `${rest.slice(0, sep)}\u0000${cls}`;
        const seen = byKey.get(id);
        if (seen === undefined) byKey.set(id, { appId: rest.slice(0, sep), cls, backlogMs });
        else seen.backlogMs = Math.max(seen.backlogMs, backlogMs);
      });
    }
    const entries = [...byKey.values()];
    return entries.sort((a, b) => a.appId.localeCompare(b.appId) || a.cls.localeCompare(b.cls));
  };

  const close = (): Promise<void> => {
    closing.abort(new Error('rate limiter is closed'));
    return Promise.resolve();
  };

  return { acquire, penalize, state, close };
}
