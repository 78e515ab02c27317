import { randomUUID } from 'node:crypto';
import { inject } from 'vitest';

/** The Redis every integration test shares; isolation is by prefix. */
export function redisUrl(): string {
  return inject('redisUrl');
}

/** A BullMQ prefix of this test's own, so no two tests see each other's queues. */
export function uniquePrefix(label = 't'): string {
  return `tdtest-${label}-${randomUUID().slice(0, 8)}`;
}
