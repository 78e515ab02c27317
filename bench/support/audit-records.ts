import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { auditKeys, createAuditStore } from '../../src/audit/index.js';
import { parseTakedownRequest, takedownJobId } from '../../src/jobs/index.js';
import type { ModerationFields, TakedownPayload } from '../../src/jobs/index.js';
import { createLogger } from '../../src/logging/index.js';
import { createTakedownOutcomes } from '../../src/worker/index.js';
import type { JobRun } from '../../src/worker/index.js';
import { BENCH_APP_ID, BENCH_REGION } from './bench-environment.js';

/** What a moderation system sends with a takedown it wants in its DSA statements of reasons. */
export const BENCH_MODERATION: Required<ModerationFields> & {
  requestedBy: string;
  reason: string;
} = {
  requestedBy: 'moderation-bot',
  reason: 'Live broadcast of violent content reported by users',
  decisionGround: 'DECISION_GROUND_INCOMPATIBLE_CONTENT',
  legalGround: 'Community guidelines §4.2 (violent content)',
  category: 'STATEMENT_CATEGORY_VIOLENCE',
  facts: 'Automated classifier flagged the live stream; a moderator confirmed the violation.',
  automatedDetection: true,
  automatedDecision: 'AUTOMATED_DECISION_PARTIALLY',
  territorialScope: ['DE', 'FR', 'NL'],
  sourceType: 'SOURCE_VOLUNTARY',
};

export interface SeedAuditOptions {
  redis: Redis;
  prefix: string;
  count: number;
  /** Request time of the first record (epoch ms); later ones follow `spacingMs` apart. */
  startMs: number;
  /** Records sharing one request millisecond, as a batch's chunk does. @defaultValue 10 */
  perTick?: number;
  spacingMs?: number;
  /** Takedowns written concurrently (their writes share the connection's pipeline). @defaultValue 2000 */
  concurrency?: number;
}

/** A key+SID takedown at the defaults (verify on), as the worker reports it: two runs. */
function runsOf(jobId: string, payload: TakedownPayload, t: number): [JobRun, JobRun] {
  const call = (op: JobRun['calls'][number]['op'], at: number) => ({
    op,
    appId: payload.appId,
    region: payload.region,
    status: 200,
    durationMs: 31,
    requestId: randomUUID(),
    at,
  });
  const beginAt = new Date(t - 3_600_000).toISOString();
  const first: JobRun = {
    jobId,
    payload,
    enqueuedAt: t,
    attempt: 1,
    steps: [
      { step: 'resolve', at: t + 40, durationMs: 32 },
      { step: 'revoke-key', at: t + 75, durationMs: 33 },
      { step: 'disconnect', at: t + 110, durationMs: 34 },
    ],
    calls: [call('query-stream', t + 40), call('delete-key', t + 75), call('disconnect', t + 110)],
    streamSeen: [beginAt],
    end: 'waiting',
    finishedAt: t + 111,
  };
  const second: JobRun = {
    jobId,
    payload,
    enqueuedAt: t,
    attempt: 1,
    steps: [{ step: 'verify', at: t + 2150, durationMs: 35 }],
    calls: [call('query-stream', t + 2150)],
    streamSeen: [],
    end: 'completed',
    result: {
      outcome: 'taken-down',
      revoked: { [BENCH_REGION]: 'deleted' },
      regions: { [BENCH_REGION]: 'revoked' },
      disconnected: payload.sid === undefined ? [] : [payload.sid],
      alreadyOffline: [],
      foundByVerify: [],
      verifyRounds: 1,
      requestIds: [],
    },
    finishedAt: t + 2151,
  };
  return [first, second];
}

/**
 * Writes `count` audit records the way `takedown worker` writes them — the worker's own outcome
 * hooks (createTakedownOutcomes → toRequestEvent → the audit store's append script) — for key+SID
 * takedowns carrying the moderation fields. Many takedowns are written at once, so their writes
 * go out pipelined on the one connection.
 */
export async function seedAuditRecords(options: SeedAuditOptions): Promise<void> {
  const { count, startMs } = options;
  const perTick = options.perTick ?? 10;
  const spacingMs = options.spacingMs ?? 2500;
  const concurrency = options.concurrency ?? 2000;
  const audit = createAuditStore({
    redis: options.redis,
    prefix: options.prefix,
    retentionDays: 400,
  });
  const { hooks } = createTakedownOutcomes({ audit, logger: createLogger({ level: 'silent' }) });
  const record = async (i: number): Promise<void> => {
    const t = startMs + Math.floor(i / perTick) * spacingMs;
    const id = i.toString(36).padStart(6, '0');
    const parsed = parseTakedownRequest(
      {
        region: BENCH_REGION,
        sid: `bench-audit-sid-${id}`,
        streamKey: `bench-audit-stream-key-${id}`,
        channel: `ch-${id}`,
        ...BENCH_MODERATION,
      },
      { defaultAppId: BENCH_APP_ID, now: () => new Date(t) },
    );
    if (!parsed.ok) throw new Error(`seed request invalid: ${JSON.stringify(parsed.errors)}`);
    const jobId = takedownJobId(parsed.value);
    for (const run of runsOf(jobId, parsed.value, t)) await hooks.onRunFinished?.(run);
  };
  for (let done = 0; done < count; done += concurrency) {
    const chunk: Promise<void>[] = [];
    for (let i = done; i < Math.min(count, done + concurrency); i++) chunk.push(record(i));
    await Promise.all(chunk);
  }
}

export interface AuditMemory {
  records: number;
  /** MEMORY USAGE of every record string, summed. */
  recordBytes: number;
  /** MEMORY USAGE of the index (sorted set). */
  indexBytes: number;
  /** STRLEN of every record, summed: the JSON events themselves. */
  textBytes: number;
}

/** What the audit trail under `prefix` takes in Redis, key by key (MEMORY USAGE … SAMPLES 0). */
export async function measureAuditMemory(redis: Redis, prefix: string): Promise<AuditMemory> {
  const keys = auditKeys(prefix);
  const result: AuditMemory = { records: 0, recordBytes: 0, indexBytes: 0, textBytes: 0 };
  let cursor = '0';
  do {
    const [next, found] = await redis.scan(cursor, 'MATCH', keys.record('*'), 'COUNT', 1000);
    cursor = next;
    const pipeline = redis.pipeline();
    for (const key of found) {
      pipeline.call('MEMORY', 'USAGE', key, 'SAMPLES', '0');
      pipeline.strlen(key);
    }
    const replies = (await pipeline.exec()) ?? [];
    for (let i = 0; i < replies.length; i += 2) {
      result.records++;
      result.recordBytes += Number(replies[i]?.[1] ?? Number.NaN);
      result.textBytes += Number(replies[i + 1]?.[1] ?? Number.NaN);
    }
  } while (cursor !== '0');
  result.indexBytes = Number(await redis.call('MEMORY', 'USAGE', keys.index, 'SAMPLES', '0'));
  return result;
}
