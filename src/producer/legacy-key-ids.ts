import { legacyKeyJobId } from '../jobs/index.js';
import type { TakedownPayload } from '../jobs/index.js';
import { readJobStates } from './job-state.js';
import type { JobStateInfo, TakedownState } from './job-state.js';
import type { ProducerContext } from './producer-context.js';

/**
 * Migration from key-bearing job ids (`key-<appId>-<streamKey>`) to fingerprinted ones. Jobs an
 * older version queued keep their ids and run as before; for one idempotency window after the
 * first fingerprinting producer met this queue, a key-only request is also checked against the
 * old id, so it is a duplicate of a takedown queued by the older version rather than a second
 * job. After the window the old completed jobs are gone anyway (their retention is the window).
 */

/** When the first fingerprinting producer met this queue (ms epoch). ':' keeps it apart from job ids. */
export function keyIdMigrationKey(prefix: string): string {
  return `${prefix}:migration:key-fingerprint-ids-since`;
}

const windowEnds = new WeakMap<ProducerContext, Promise<number>>();

async function readWindowEnd(ctx: ProducerContext): Promise<number> {
  const key = keyIdMigrationKey(ctx.prefix);
  await ctx.client.set(key, String(Date.now()), 'NX');
  const since = Number(await ctx.client.get(key));
  return (Number.isFinite(since) ? since : Date.now()) + ctx.idempotencyWindowS * 1000;
}

/** Whether old ids still need checking: within one idempotency window of the upgrade. */
export async function legacyIdsInWindow(ctx: ProducerContext): Promise<boolean> {
  let end = windowEnds.get(ctx);
  if (end === undefined) {
    end = readWindowEnd(ctx);
    windowEnds.set(ctx, end);
    end.catch(() => windowEnds.delete(ctx));
  }
  return Date.now() < (await end);
}

function legacyIdOf(payload: TakedownPayload): string | undefined {
  // A request that names a SID was always `sid-…`: nothing migrated.
  if (payload.sid !== undefined || payload.streamKey === undefined) return undefined;
  return legacyKeyJobId({ appId: payload.appId, streamKey: payload.streamKey });
}

export interface LegacyDuplicate {
  jobId: string;
  state: TakedownState;
}

/**
 * For each payload, the job an older version queued for the same key-only takedown, when there
 * is one and the migration window is open; one round trip for the lot.
 */
export async function findLegacyDuplicates(
  ctx: ProducerContext,
  payloads: readonly TakedownPayload[],
): Promise<(LegacyDuplicate | undefined)[]> {
  const ids = payloads.map(legacyIdOf);
  const asked = ids.flatMap((id, i) => (id === undefined ? [] : [[id, i] as const]));
  const out = new Array<LegacyDuplicate | undefined>(payloads.length);
  if (asked.length === 0 || !(await legacyIdsInWindow(ctx))) return out;
  const states: JobStateInfo[] = await readJobStates(
    ctx,
    asked.map(([id]) => id),
  );
  asked.forEach(([jobId, i], k) => {
    const state = states[k]?.state ?? 'unknown';
    if (state !== 'unknown') out[i] = { jobId, state };
  });
  return out;
}
