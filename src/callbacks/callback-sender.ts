import type { Queue } from 'bullmq';
import type { CallbackBody } from './callback-event.js';
import { CALLBACK_JOB_NAME, webhookIdOf } from './callback-job.js';
import type { CallbackJobData } from './callback-job.js';

/** Completed and failed callback jobs are kept this long (listing, and deduplication by id). */
export const CALLBACK_RETENTION_S = 30 * 86_400;

export interface CallbackSenderOptions {
  queue: Queue;
  /** Attempts per callback: the length of the retry schedule. */
  attempts: number;
}

export interface CallbackToSend {
  url: string;
  body: CallbackBody;
  takedownJobId: string;
  requestedAt: string;
  /** Names the event with the type: the takedown's audit record id. */
  recordId: string;
  /** Tells apart several events of one type (e.g. confirmations). */
  discriminator?: string;
}

export interface CallbackSender {
  /** Queues the callback (once per event: the webhook id is the job id). Returns the webhook id. */
  send(callback: CallbackToSend): Promise<string>;
}

export function createCallbackSender(options: CallbackSenderOptions): CallbackSender {
  return {
    async send(callback) {
      const webhookId = webhookIdOf(callback.body.type, callback.recordId, callback.discriminator);
      const data: CallbackJobData = {
        v: 1,
        url: callback.url,
        webhookId,
        type: callback.body.type,
        body: JSON.stringify(callback.body),
        takedownJobId: callback.takedownJobId,
        requestedAt: callback.requestedAt,
      };
      await options.queue.add(CALLBACK_JOB_NAME, data, {
        jobId: webhookId,
        attempts: options.attempts,
        backoff: { type: 'custom' },
        removeOnComplete: { age: CALLBACK_RETENTION_S },
        removeOnFail: { age: CALLBACK_RETENTION_S },
      });
      return webhookId;
    },
  };
}
