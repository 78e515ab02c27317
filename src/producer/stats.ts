import { DEAD_LETTER_QUEUE, TAKEDOWN_QUEUE, rateLimitKey } from '../jobs/index.js';
import { scanKeys } from '../redis/index.js';
import { countExpiries } from './expiry.js';
import type { ProducerContext } from './producer-context.js';

export type QueueCounts = Record<string, number>;

export interface LimiterState {
  appId: string;
  /** Call class: delete, query, create. */
  cls: string;
  /** How far the limiter's schedule runs ahead of now: 0 = idle, a new call goes at once. */
  backlogMs: number;
}

export interface ProducerStats {
  queues: { [TAKEDOWN_QUEUE]: QueueCounts; [DEAD_LETTER_QUEUE]: QueueCounts };
  scheduledExpiries: number;
  limiter: LimiterState[];
}

/** Redis glob metacharacters in a prefix must match literally. */
export function escapeGlob(value: string): string {
  return value.replace(/[*?[\]\\]/g, '\\$&');
}

/**
 * Splits a limiter key `<prefix>:ratelimit:<appId>:<cls>` into its parts. App IDs are
 * alphanumeric, so the class is everything after the last ':'.
 */
export function parseRateLimitKey(
  prefix: string,
  key: string,
): { appId: string; cls: string } | undefined {
  const head = rateLimitKey(prefix, '', '').slice(0, -1); // `<prefix>:ratelimit:`
  if (!key.startsWith(head)) return undefined;
  const rest = key.slice(head.length);
  const cut = rest.lastIndexOf(':');
  if (cut <= 0 || cut === rest.length - 1) return undefined;
  return { appId: rest.slice(0, cut), cls: rest.slice(cut + 1) };
}

/** Limiter state from its stored value: the GCRA theoretical arrival time, ms epoch. */
export function toLimiterState(
  parts: { appId: string; cls: string },
  value: string,
  now: number,
): LimiterState | undefined {
  const tat = Number(value);
  if (!Number.isFinite(tat)) return undefined;
  return { ...parts, backlogMs: Math.max(0, Math.round(tat - now)) };
}

const SCAN_COUNT = 1000;

async function limiterStates(ctx: ProducerContext): Promise<LimiterState[]> {
  const pattern = rateLimitKey(escapeGlob(ctx.prefix), '*', '*');
  const keys = new Set<string>();
  // Every master: on a Cluster a SCAN of one node would miss the others' keys.
  for await (const found of scanKeys(ctx.client, pattern, SCAN_COUNT)) {
    for (const key of found) keys.add(key);
  }
  if (keys.size === 0) return [];

  const ordered = [...keys].sort();
  // One GET per key rather than a pipeline: on a Cluster the keys may live on several masters.
  // ioredis writes them back to back, so it costs one round trip all the same.
  const values = await Promise.all(ordered.map((key) => ctx.client.get(key).catch(() => null)));
  const now = Date.now();
  const out: LimiterState[] = [];
  ordered.forEach((key, i) => {
    const value = values[i];
    // WRONGTYPE or expired since the scan: not a limiter value we understand.
    if (typeof value !== 'string') return;
    const parts = parseRateLimitKey(ctx.prefix, key);
    const state = parts === undefined ? undefined : toLimiterState(parts, value, now);
    if (state !== undefined) out.push(state);
  });
  return out;
}

/** Counts per state of both queues, pending expiries, and per-App-ID limiter backlog. */
export async function stats(ctx: ProducerContext): Promise<ProducerStats> {
  const [takedown, dead, scheduledExpiries, limiter] = await Promise.all([
    ctx.queue.getJobCounts(),
    ctx.dlq.getJobCounts(),
    countExpiries(ctx),
    limiterStates(ctx),
  ]);
  return {
    queues: { [TAKEDOWN_QUEUE]: takedown, [DEAD_LETTER_QUEUE]: dead },
    scheduledExpiries,
    limiter,
  };
}
