import { setTimeout as sleep } from 'node:timers/promises';
import type { Queue } from 'bullmq';

export interface DrainCounts {
  completed: number;
  failed: number;
  pending: number;
}

/**
 * Polls the queue until `total` jobs are completed or failed (nothing pending), or `timeoutMs`
 * passes (then throws with the counts, so a stuck scenario says where it stuck).
 */
export async function waitDrained(
  queue: Queue,
  total: number,
  timeoutMs: number,
  intervalMs = 100,
): Promise<DrainCounts> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const c = await queue.getJobCounts(
      'completed',
      'failed',
      'waiting',
      'active',
      'delayed',
      'prioritized',
      'waiting-children',
    );
    const completed = c['completed'] ?? 0;
    const failed = c['failed'] ?? 0;
    const pending =
      (c['waiting'] ?? 0) + (c['active'] ?? 0) + (c['delayed'] ?? 0) + (c['prioritized'] ?? 0);
    if (completed + failed >= total && pending === 0) return { completed, failed, pending };
    if (Date.now() >= deadline) {
      throw new Error(
        `queue not drained within ${timeoutMs} ms: ${completed} completed, ${failed} failed, ${pending} pending of ${total}`,
      );
    }
    await sleep(intervalMs);
  }
}
