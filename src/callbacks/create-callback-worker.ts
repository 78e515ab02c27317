import { UnrecoverableError, Worker } from 'bullmq';
import type { Job } from 'bullmq';
import type { RedisClient } from '../redis/index.js';
import type { LoggerLike } from '../agora/index.js';
import type { AuditStore } from '../audit/index.js';
import type { AllowedHost } from '../jobs/index.js';
import { checkCallbackUrl, describeCallbackUrl } from '../jobs/index.js';
import { callbackDelayMs } from './callback-backoff.js';
import { CallbackRetryError } from './callback-errors.js';
import { CALLBACK_QUEUE } from './callback-job.js';
import type { CallbackJobData } from './callback-job.js';
import { deliverCallback } from './deliver-callback.js';
import { createDisabledUrls } from './disabled-urls.js';

export type CallbackAttemptResult = 'delivered' | 'retry' | 'failed' | 'disabled';

export interface CallbackWorkerOptions {
  /** The worker's connection (`maxRetriesPerRequest: null`); owned by the caller. */
  connection: RedisClient;
  prefix: string;
  /** `CALLBACK_SECRET`; without it every callback fails (listed by `callbacks list --failed`). */
  secret: string | undefined;
  allowedHosts: readonly AllowedHost[];
  timeoutMs: number;
  /** Delay before attempt 1, 2, … (ms). */
  retrySchedule: readonly number[];
  concurrency: number;
  logger: LoggerLike;
  /** Records what the requester was told in the takedown's audit trail. */
  audit?: AuditStore;
  onAttempt?(result: CallbackAttemptResult): void;
}

function isJobData(data: unknown): data is CallbackJobData {
  const d = data as Partial<CallbackJobData> | null;
  return (
    typeof d === 'object' &&
    d !== null &&
    d.v === 1 &&
    typeof d.url === 'string' &&
    typeof d.webhookId === 'string' &&
    typeof d.body === 'string' &&
    typeof d.type === 'string' &&
    typeof d.takedownJobId === 'string' &&
    typeof d.requestedAt === 'string'
  );
}

/**
 * Delivers outcome callbacks from queue `takedown-callbacks`: one signed POST per attempt, retried
 * on the schedule (Retry-After honoured up to its largest step), a 410 disables the URL, and the
 * URL is checked against CALLBACK_ALLOWED_HOSTS again before each attempt (the list may have
 * shrunk since the request). Runs beside the takedown worker; nothing here touches a takedown.
 */
export function createCallbackWorker(options: CallbackWorkerOptions): Worker {
  const { logger, audit } = options;
  const disabled = createDisabledUrls(options.connection, options.prefix);
  const report = (result: CallbackAttemptResult): void => {
    try {
      options.onAttempt?.(result);
    } catch {
      // Metrics are best effort.
    }
  };
  const remember = async (
    data: CallbackJobData,
    res: 'delivered' | 'failed',
    status?: number,
  ): Promise<void> => {
    if (audit === undefined) return;
    await audit
      .append({
        request: { e: 'q', t: Date.now(), j: data.takedownJobId, p: {} },
        requestedAt: data.requestedAt,
        events: [
          {
            e: 'cb',
            t: Date.now(),
            ty: data.type,
            res,
            ...(status === undefined ? {} : { st: status }),
          },
        ],
      })
      .catch((err: unknown) =>
        logger.warn(
          { err: (err as Error).message, webhookId: data.webhookId },
          'callback audit write failed',
        ),
      );
  };
  const giveUp = async (
    data: CallbackJobData,
    message: string,
    status?: number,
  ): Promise<never> => {
    report('failed');
    await remember(data, 'failed', status);
    throw new UnrecoverableError(message);
  };

  const processor = async (job: Job): Promise<{ status: number }> => {
    const data: unknown = job.data;
    if (!isJobData(data)) {
      report('failed');
      throw new UnrecoverableError('malformed callback job: not sent');
    }
    const log = logger.child({
      webhookId: data.webhookId,
      type: data.type,
      jobId: data.takedownJobId,
      url: describeCallbackUrl(data.url),
      attempt: job.attemptsMade + 1,
    });
    if (options.secret === undefined) {
      return giveUp(
        data,
        'CALLBACK_SECRET is not set: callbacks cannot be signed, so none are sent',
      );
    }
    const problem = checkCallbackUrl(data.url, options.allowedHosts);
    if (problem !== undefined) return giveUp(data, `refused: the callback URL ${problem}`);
    if (await disabled.isDisabled(data.url)) {
      report('disabled');
      await remember(data, 'failed', 410);
      throw new UnrecoverableError('the receiver answered 410 Gone earlier: this URL is disabled');
    }

    const attempt = await deliverCallback({
      url: data.url,
      webhookId: data.webhookId,
      body: data.body,
      secret: options.secret,
      timeoutMs: options.timeoutMs,
    });
    if (attempt.kind === 'delivered') {
      report('delivered');
      log.info({ status: attempt.status }, 'callback delivered');
      await remember(data, 'delivered', attempt.status);
      return { status: attempt.status };
    }
    if (attempt.kind === 'gone') {
      await disabled.disable(data.url, new Date());
      report('disabled');
      log.warn({}, 'callback receiver answered 410 Gone: URL disabled');
      await remember(data, 'failed', 410);
      throw new UnrecoverableError('the receiver answered 410 Gone: this URL is now disabled');
    }
    const last = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
    log.warn({ status: attempt.status, last }, `callback attempt failed: ${attempt.message}`);
    if (last) {
      return giveUp(
        data,
        `${attempt.message}; gave up after ${job.attemptsMade + 1} attempts`,
        attempt.status,
      );
    }
    report('retry');
    throw new CallbackRetryError(attempt.message, attempt.status, attempt.retryAfterMs);
  };

  const worker = new Worker(CALLBACK_QUEUE, processor, {
    connection: options.connection,
    prefix: options.prefix,
    autorun: false,
    concurrency: options.concurrency,
    settings: {
      backoffStrategy: (attemptsMade: number, _type?: string, err?: Error) =>
        callbackDelayMs(
          attemptsMade,
          options.retrySchedule,
          err instanceof CallbackRetryError ? err.retryAfterMs : undefined,
        ),
    },
  });
  worker.on('error', (err) => logger.error({ err: err.message }, 'callback worker error'));
  return worker;
}
