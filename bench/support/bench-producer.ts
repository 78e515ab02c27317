import { createProducer } from '../../src/producer/index.js';
import type { Producer } from '../../src/producer/index.js';
import { BENCH_APP_ID } from './bench-environment.js';

/**
 * The producer the scenarios enqueue with: the default attempts (12) and idempotency window
 * (7 days), requests without an App ID going to the bench's App ID.
 */
export function benchProducer(redis: string, prefix: string): Promise<Producer> {
  return createProducer({
    redis,
    prefix,
    attempts: 12,
    idempotencyWindowS: 604_800,
    defaultAppId: BENCH_APP_ID,
  });
}
