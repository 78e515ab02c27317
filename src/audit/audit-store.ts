import type { RedisClient } from '../redis/index.js';
import type { AuditEvent, RequestEvent } from './audit-event.js';
import { auditKeys, auditRecordId } from './audit-keys.js';

/**
 * Appends events to a record, writing the request event first when the record is new, renewing
 * the record's expiry, indexing it by request time, and dropping index entries older than the
 * retention (their records have expired). One round trip, atomic.
 * GET and SET rather than APPEND: APPEND grows a string greedily (room for as much again), which
 * nearly doubled what a kept record costs; SET stores it at its size (bench: audit).
 */
const APPEND_LUA = `
local record = redis.call('GET', KEYS[1])
if not record then record = ARGV[1] end
redis.call('SET', KEYS[1], record .. ARGV[2], 'EX', ARGV[3])
redis.call('ZADD', KEYS[2], 'NX', ARGV[4], ARGV[5])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', '(' .. ARGV[6])
return 1
`;

const COMMAND = 'takedownAuditAppend';
type AppendCommand = (...keysThenArgs: (string | number)[]) => Promise<unknown>;

export interface AuditStoreOptions {
  /** A connection the store may use (it is not closed by the store). */
  redis: RedisClient;
  prefix: string;
  retentionDays: number;
  now?: () => number;
}

export interface AuditAppend {
  /** The takedown's request event (written only when the record does not exist yet). */
  request: RequestEvent;
  /** ISO 8601 request time: with the job id, it names the record. */
  requestedAt: string;
  events: readonly AuditEvent[];
}

/** One stored record: its id, request time (ms) and raw text. */
export interface StoredAuditRecord {
  recordId: string;
  requestedAtMs: number;
  text: string;
}

export interface AuditRange {
  /** Epoch ms, inclusive. */
  sinceMs?: number;
  /** Epoch ms, exclusive. */
  untilMs?: number;
  /** Records per Redis round trip (two commands). @defaultValue 500 */
  pageSize?: number;
}

export interface AuditStore {
  append(entry: AuditAppend): Promise<void>;
  /** Records by request time, oldest first, one page in memory at a time. */
  records(range?: AuditRange): AsyncGenerator<StoredAuditRecord>;
}

function line(event: AuditEvent): string {
  return `${JSON.stringify(event)}\n`;
}

export function createAuditStore(options: AuditStoreOptions): AuditStore {
  const { redis, prefix } = options;
  const keys = auditKeys(prefix);
  const ttlS = options.retentionDays * 86_400;
  const now = options.now ?? Date.now;
  redis.defineCommand(COMMAND, { numberOfKeys: 2, lua: APPEND_LUA });
  const appendCommand = (redis as unknown as Record<string, AppendCommand>)[
    COMMAND
  ] as AppendCommand;

  return {
    async append(entry) {
      const recordId = auditRecordId(entry.request.j, entry.requestedAt);
      const score = Date.parse(entry.requestedAt);
      // numberOfKeys is declared with the command: the two keys come first, no count.
      await appendCommand.call(
        redis,
        keys.record(recordId),
        keys.index,
        line(entry.request),
        entry.events.map(line).join(''),
        ttlS,
        Number.isFinite(score) ? score : 0,
        recordId,
        now() - ttlS * 1000,
      );
    },

    async *records(range = {}) {
      const pageSize = range.pageSize ?? 500;
      const max = range.untilMs === undefined ? '+inf' : `(${range.untilMs}`;
      let min: string = range.sinceMs === undefined ? '-inf' : String(range.sinceMs);
      // Ties (a batch shares milliseconds): skip the members of the last score already seen.
      let skip = 0;
      let lastScore: number | undefined;
      for (;;) {
        const page = await redis.zrangebyscore(
          keys.index,
          min,
          max,
          'WITHSCORES',
          'LIMIT',
          skip,
          pageSize,
        );
        if (page.length === 0) return;
        const ids: string[] = [];
        const scores: number[] = [];
        for (let i = 0; i < page.length; i += 2) {
          ids.push(page[i] as string);
          scores.push(Number(page[i + 1]));
        }
        // One MGET: the records share the index's hash slot (the prefix's hash tag).
        const texts = await redis.mget(ids.map((id) => keys.record(id)));
        for (let i = 0; i < ids.length; i++) {
          const text = texts[i];
          if (typeof text !== 'string') continue; // expired since the index read
          yield { recordId: ids[i] as string, requestedAtMs: scores[i] as number, text };
        }
        const last = scores[scores.length - 1] as number;
        const tiesAtLast = scores.filter((s) => s === last).length;
        skip = last === lastScore ? skip + tiesAtLast : tiesAtLast;
        lastScore = last;
        min = String(last);
        if (ids.length < pageSize) return;
      }
    },
  };
}
