import type { Queue } from 'bullmq';
import type { RedisClient } from '../redis/index.js';
import type {
  DeadLetterEntry,
  ParseTakedownRequestOptions,
  TakedownJobData,
} from '../jobs/index.js';
import type { EnforcementJobData } from '../notifications/enforcement-queue.js';
import type { ProducerLogger } from './producer-logger.js';

export type TakedownQueue = Queue<TakedownJobData>;
export type DeadLetterQueue = Queue<DeadLetterEntry>;
/** Queue `takedown-enforcement` (Agora events, rule sweeps). */
export type EnforcementQueue = Queue<EnforcementJobData>;

/** What every producer operation shares; built once by createProducer. */
export interface ProducerContext {
  client: RedisClient;
  queue: TakedownQueue;
  dlq: DeadLetterQueue;
  enforcement: EnforcementQueue;
  prefix: string;
  attempts: number;
  idempotencyWindowS: number;
  defaultAppId: string | undefined;
  /** What every request is validated with: the default App ID and the callback allow list. */
  parseOptions: ParseTakedownRequestOptions;
  logger: ProducerLogger;
}
