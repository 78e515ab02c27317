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
}

export interface RateLimitState {
  appId: string;
  cls: CallClass;
  /** How far ahead of now this App ID's schedule is booked (0 = idle). */
  backlogMs: number;
}

export interface AcquireOptions {
  /** This call's hold budget instead of the limiter's `maxHoldMs` (urgent takedowns wait, never park). */
  maxHoldMs?: number;
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

/** The parked-callers queue of a schedule key lives next to it (same hash tag on Cluster). */
const PARKED_SUFFIX = ':parked';

/**
 * GCRA over the theoretical arrival time (TAT, µs of Redis server TIME) of the next call.
 * One script, three modes, all atomic, on KEYS[1] (the schedule) and KEYS[2] (parked queue):
 *  - reserve  ARGV[4] = max wait (µs): wait = max(0, tat − tolerance − now). When wait is within
 *             the budget the slot is booked (tat += interval); otherwise no slot is booked, but
 *             the caller gets a virtual place behind the schedule and behind everyone parked
 *             before it (ptat = max(ptat, tat) + interval, KEYS[2]). Parked callers come back in
 *             that order, one interval apart, instead of all at once — a herd would re-park
 *             again and again, and a late return would leave the App ID's slots unused.
 *             Returns {1|0, wait µs, booked tat as string, parked place µs ahead (0 if booked)}.
 *  - release  ARGV[4] = tat returned by reserve: unbook that slot if nobody booked after it.
 *  - penalize ARGV[4] = penalty (µs): tat = max(tat, now + tolerance + penalty). Not additive:
 *    twenty concurrent 429s mean "pause this App ID for the penalty", not twenty penalties.
 * TIME inside the script: every process shares the server clock, never its own.
 */
const GCRA_SCRIPT = `
if redis.replicate_commands then redis.replicate_commands() end
local key = KEYS[1]
local mode = ARGV[1]
local interval = tonumber(ARGV[2])
local tolerance = tonumber(ARGV[3])
local arg = ARGV[4]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local raw = redis.call('GET', key)
local tat = raw and tonumber(raw) or 0
if tat < now then tat = now end

local function storeAt(k, newTat)
  local ttl = math.ceil((newTat - now) / 1000) + ${IDLE_TTL_MS}
  if ttl < 1 then ttl = 1 end
  local s = string.format('%.0f', newTat)
  redis.call('SET', k, s, 'PX', ttl)
  return s
end
local function store(newTat) return storeAt(key, newTat) end

if mode == 'reserve' then
  local wait = tat - tolerance - now
  if wait < 0 then wait = 0 end
  if wait > tonumber(arg) then
    local praw = redis.call('GET', KEYS[2])
    local ptat = praw and tonumber(praw) or 0
    if ptat < tat then ptat = tat end
    ptat = ptat + interval
    storeAt(KEYS[2], ptat)
    return {0, math.ceil(wait), '', math.ceil(ptat - tolerance - now)}
  end
  return {1, math.ceil(wait), store(tat + interval), 0}
elseif mode == 'release' then
  if raw == arg then
    store(tonumber(arg) - interval)
    return 1
  end
  return 0
elseif mode == 'penalize' then
  local floor = now + tolerance + tonumber(arg)
  if tat < floor then tat = floor end
  store(tat)
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
  if (!Number.isFinite(maxHoldMs) || maxHoldMs < 0) {
    throw new RangeError(
      `rate limiter: maxHoldMs must be a finite number ≥ 0, got ${String(maxHoldMs)}`,
    );
  }
  return { prefix: options.prefix, limits: { ...options.limits }, maxHoldMs };
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
  const { prefix, limits, maxHoldMs } = validateOptions(options);
  const { redis } = options;
  const closing = new AbortController();
  // Every waiting acquire listens on it; hundreds at high concurrency are expected, not a leak.
  setMaxListeners(0, closing.signal);

  const run = async (key: string, args: readonly (string | number)[]): Promise<unknown> => {
    try {
      return await redis.evalsha(GCRA_SHA, 2, key, key + PARKED_SUFFIX, ...args);
    } catch (err) {
      // First use on this server (or after SCRIPT FLUSH / a restart): EVAL also caches it.
      if (err instanceof Error && err.message.startsWith('NOSCRIPT')) {
        return redis.eval(GCRA_SCRIPT, 2, key, key + PARKED_SUFFIX, ...args);
      }
      throw err;
    }
  };

  const intervalUs = (cls: CallClass): number => 1_000_000 / limits[cls];

  const acquire = async (
    appId: string,
    cls: CallClass,
    signal?: AbortSignal,
    acquireOptions: AcquireOptions = {},
  ): Promise<{ waitedMs: number }> => {
    const holdMs = acquireOptions.maxHoldMs ?? maxHoldMs;
    if (closing.signal.aborted) throw new Error('rate limiter is closed');
    if (signal?.aborted) throw abortReason(signal);
    if (limits[cls] === 0) return { waitedMs: 0 };
    const started = performance.now();
    const key = rateLimitKey(prefix, appId, cls);
    const interval = intervalUs(cls);
    const reply = await run(key, [
      'reserve',
      interval,
      interval * TOLERANCE_INTERVALS,
      Math.floor(holdMs * 1000),
    ]);
    if (!Array.isArray(reply) || reply.length !== 4) {
      throw new Error(`rate limiter: unexpected script reply ${JSON.stringify(reply)}`);
    }
    const [granted, waitUs, bookedTat, parkedUs] = reply as [number, number, string, number];
    const waitMs = Math.ceil(waitUs / 1000);
    if (granted !== 1) {
      throw new RateLimitBusyError({
        appId,
        callClass: cls,
        backlogMs: waitMs,
        // Back when its place in the parked queue is half the hold budget away: then it books
        // within the budget even if a few others got in first.
        retryAfterMs: Math.max(1, Math.ceil(parkedUs / 1000 - holdMs / 2)),
      });
    }
    if (waitMs > 0) {
      const signals = signal ? [signal, closing.signal] : [closing.signal];
      try {
        await abortableSleep(waitMs, signals);
      } catch (err) {
        // Hand the unused slot back (only possible while nobody booked after it).
        await run(key, ['release', interval, 0, bookedTat]).catch(() => undefined);
        throw err;
      }
    }
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
    const entries: RateLimitState[] = [];
    const [sec, usec] = await redis.time();
    const nowUs = Number(sec) * 1_000_000 + Number(usec);
    // Every master; and no MGET: on a Cluster one node's keys may span several slots.
    for await (const keys of scanKeys(redis, pattern, 200)) {
      const values = await Promise.all(keys.map((key) => redis.get(key)));
      keys.forEach((key, i) => {
        const raw = values[i];
        if (raw === null || raw === undefined) return;
        const rest = key.slice(head.length);
        const sep = rest.lastIndexOf(':');
        const cls = rest.slice(sep + 1);
        // Also skips the parked-queue keys (`…:<cls>:parked`).
        if (sep <= 0 || !isCallClass(cls)) return;
        const backlogMs = Math.max(0, Math.ceil((Number(raw) - nowUs) / 1000));
        entries.push({ appId: rest.slice(0, sep), cls, backlogMs });
      });
    }
    return entries.sort((a, b) => a.appId.localeCompare(b.appId) || a.cls.localeCompare(b.cls));
  };

  const close = (): Promise<void> => {
    closing.abort(new Error('rate limiter is closed'));
    return Promise.resolve();
  };

  return { acquire, penalize, state, close };
}
