import type { ChainableCommander } from 'ioredis';
import { batchKey } from '../jobs/index.js';
import type { ProducerContext } from './producer-context.js';

/**
 * A batch in Redis: the set `batchKey(prefix, id)` of its job ids, and a hash beside it with
 * `total` (valid requests submitted, same-batch duplicates included), `rejected` and `createdAt`.
 * Both expire with the idempotency window, like the completed jobs they point at.
 */
export function batchMetaKey(prefix: string, batchId: string): string {
  return `${batchKey(prefix, batchId)}:meta`;
}

/** Queues the meta update of one enqueue call on a pipeline or MULTI. */
export function recordBatchMeta(
  ctx: ProducerContext,
  commands: ChainableCommander,
  batchId: string,
  counts: { submitted: number; rejected: number },
): void {
  const metaKey = batchMetaKey(ctx.prefix, batchId);
  commands
    .hincrby(metaKey, 'total', counts.submitted)
    .hincrby(metaKey, 'rejected', counts.rejected)
    .hsetnx(metaKey, 'createdAt', new Date().toISOString())
    .expire(metaKey, ctx.idempotencyWindowS);
}

/** Queues the membership of `jobIds` on a pipeline or MULTI. */
export function recordBatchMembers(
  ctx: ProducerContext,
  commands: ChainableCommander,
  batchId: string,
  jobIds: readonly string[],
): void {
  if (jobIds.length === 0) return;
  const setKey = batchKey(ctx.prefix, batchId);
  commands.sadd(setKey, ...jobIds).expire(setKey, ctx.idempotencyWindowS);
}

/** Runs queued commands and throws the first command error (exec() reports them per reply). */
export async function execChecked(
  commands: ChainableCommander,
): Promise<[Error | null, unknown][]> {
  const replies = (await commands.exec()) ?? [];
  for (const [err] of replies) if (err) throw err;
  return replies;
}
