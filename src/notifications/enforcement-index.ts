import type { RedisClient } from '../redis/index.js';
import { streamKeyFingerprint } from '../jobs/index.js';

/**
 * What the enforcement pipeline remembers about finished takedowns, under the queue prefix:
 *
 *   enforcement:cut:<appId>:<sid>       → job id of the takedown that cut that session
 *   enforcement:revoked:<fingerprint>   → job id of the takedown that revoked that key
 *   enforcement:ended:<appId>:<sid>     → an end-of-push event that came before its takedown was known
 *
 * The first two are written when a takedown completes and kept for the idempotency window; the
 * third lets a disconnect event that overtakes its takedown's completion (or its own connect
 * event) still be recorded as the confirmation.
 */
export interface EnforcementIndex {
  recordCompleted(input: {
    jobId: string;
    appId: string;
    cutSids: readonly string[];
    revokedKey?: string | undefined;
  }): Promise<void>;
  takedownThatCut(appId: string, sid: string): Promise<string | undefined>;
  takedownThatRevoked(appId: string, streamKey: string): Promise<string | undefined>;
  /** The same for a key known only masked (`7B***Qbs`): matched on its visible ends. */
  takedownThatRevokedMasked(appId: string, maskedKey: string): Promise<string | undefined>;
  /** Whether any takedown of this App ID revoked a key within the window (cheap pre-check). */
  anyRevoked(appId: string): Promise<boolean>;
  /** Remembers that Agora reported this session's end (a late connect event is then stale). */
  markEnded(appId: string, sid: string): Promise<void>;
  hasEnded(appId: string, sid: string): Promise<boolean>;
  stashEnded(appId: string, sid: string, eventJson: string): Promise<void>;
  /** Takes (reads and deletes) a stashed end event. */
  takeEnded(appId: string, sid: string): Promise<string | undefined>;
}

const ENDED_TTL_S = 24 * 3600;
/** Visible ends of a masked key: Agora's `7B***Qbs` (2 + 3) and our own `abcd…xyz` (4 + 3). */
const MASK_SHAPES = [
  [2, 3],
  [4, 3],
] as const;
const MASK_SPLIT_RE = /^([^*…]*)(?:\*+|…)([^*…]*)$/;

/**
 * Remembers that Agora reported a session's end, so that its connect event, if it is processed
 * later (out-of-order delivery, or queued behind it), is stale. The intake calls this when it
 * accepts the end event, before anything is queued; the processor calls it again (idempotent).
 */
export async function markSessionEnded(
  redis: RedisClient,
  prefix: string,
  appId: string,
  sid: string,
): Promise<void> {
  await redis.set(`${prefix}:enforcement:gone:${appId}:${sid}`, '1', 'EX', ENDED_TTL_S);
}

export function createEnforcementIndex(
  redis: RedisClient,
  prefix: string,
  retentionS: number,
): EnforcementIndex {
  const cutKey = (appId: string, sid: string): string =>
    `${prefix}:enforcement:cut:${appId}:${sid}`;
  const revokedKey = (appId: string, key: string): string =>
    `${prefix}:enforcement:revoked:${streamKeyFingerprint(appId, key)}`;
  const endedKey = (appId: string, sid: string): string =>
    `${prefix}:enforcement:ended:${appId}:${sid}`;
  const maskedKey = (appId: string, head: string, tail: string): string =>
    `${prefix}:enforcement:masked:${appId}:${head}|${tail}`;
  const anyKey = (appId: string): string => `${prefix}:enforcement:revoked-any:${appId}`;
  return {
    async recordCompleted({ jobId, appId, cutSids, revokedKey: key }) {
      const multi = redis.multi();
      for (const sid of cutSids) multi.set(cutKey(appId, sid), jobId, 'EX', retentionS);
      if (key !== undefined) {
        multi.set(revokedKey(appId, key), jobId, 'EX', retentionS);
        multi.set(anyKey(appId), '1', 'EX', retentionS);
        const chars = [...key];
        for (const [h, t] of MASK_SHAPES) {
          if (chars.length <= h + t) continue;
          const head = chars.slice(0, h).join('');
          const tail = chars.slice(-t).join('');
          multi.set(maskedKey(appId, head, tail), jobId, 'EX', retentionS);
        }
      }
      await multi.exec();
    },
    async takedownThatCut(appId, sid) {
      return (await redis.get(cutKey(appId, sid))) ?? undefined;
    },
    async takedownThatRevoked(appId, key) {
      return (await redis.get(revokedKey(appId, key))) ?? undefined;
    },
    async takedownThatRevokedMasked(appId, masked) {
      const m = MASK_SPLIT_RE.exec(masked);
      if (m === null) return undefined;
      return (await redis.get(maskedKey(appId, m[1] ?? '', m[2] ?? ''))) ?? undefined;
    },
    async anyRevoked(appId) {
      return (await redis.exists(anyKey(appId))) === 1;
    },
    markEnded: (appId, sid) => markSessionEnded(redis, prefix, appId, sid),
    async hasEnded(appId, sid) {
      return (await redis.exists(`${prefix}:enforcement:gone:${appId}:${sid}`)) === 1;
    },
    async stashEnded(appId, sid, eventJson) {
      await redis.set(endedKey(appId, sid), eventJson, 'EX', ENDED_TTL_S);
    },
    async takeEnded(appId, sid) {
      return (await redis.getdel(endedKey(appId, sid))) ?? undefined;
    },
  };
}
