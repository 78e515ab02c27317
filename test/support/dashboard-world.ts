import { Queue, UnrecoverableError, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import {
  DEAD_LETTER_QUEUE,
  TAKEDOWN_JOB_NAME,
  TAKEDOWN_QUEUE,
  parseTakedownRequest,
  toDeadLetterEntry,
} from '../../src/jobs/index.js';
import type { DeadLetterEntry, TakedownJobData } from '../../src/jobs/index.js';
import { createMetrics } from '../../src/metrics/index.js';
import { createProducer } from '../../src/producer/index.js';
import type { Producer } from '../../src/producer/index.js';
import { createOpsServer } from '../../src/server/index.js';
import { createDeadLetterWriter } from '../../src/worker/index.js';
import type { OpsServer } from '../../src/server/index.js';
import { redisUrl, uniquePrefix } from './isolation.js';
import { waitFor } from './wait-for.js';

export const DASHBOARD_USER = 'ops';
export const DASHBOARD_PASSWORD = 'dashboard-pass-7f3a9c';
export const DASHBOARD_APP_ID = 'appdash01';

export const silentLogger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

export function basicAuth(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
}

/** An ops server with the dashboard mounted over an isolated prefix, plus raw queue handles. */
export interface DashboardWorld {
  server: OpsServer;
  producer: Producer;
  queue: Queue<TakedownJobData>;
  dlq: Queue<DeadLetterEntry>;
  /**
   * A takedown that failed for good through a real worker; with its DLQ entry (written by the
   * worker's DLQ writer) unless told not. `numbered`: added without our id, so BullMQ numbers it.
   */
  deadLetter(sid: string, options?: DeadLetterOptions): Promise<string>;
  close(): Promise<void>;
}

export interface DeadLetterOptions {
  withEntry?: boolean;
  numbered?: boolean;
}

export async function createDashboardWorld(): Promise<DashboardWorld> {
  const prefix = uniquePrefix('dash');
  const connection = new Redis(redisUrl(), { maxRetriesPerRequest: null });
  const queue = new Queue<TakedownJobData>(TAKEDOWN_QUEUE, { connection, prefix });
  const dlq = new Queue<DeadLetterEntry>(DEAD_LETTER_QUEUE, { connection, prefix });
  const producer = await createProducer({
    redis: redisUrl(),
    prefix,
    attempts: 3,
    idempotencyWindowS: 3600,
  });
  const server = await createOpsServer({
    host: '127.0.0.1',
    port: 0,
    logger: silentLogger,
    metrics: createMetrics({ defaultMetrics: false }),
    isReady: () => Promise.resolve({ ready: true }),
    dashboard: {
      user: DASHBOARD_USER,
      password: DASHBOARD_PASSWORD,
      queue,
      dlq,
      redrive: (ids) => producer.redrive(ids),
    },
  });

  async function deadLetter(sid: string, options: DeadLetterOptions = {}): Promise<string> {
    const request = { region: 'na', appId: DASHBOARD_APP_ID, sid, reason: 'dashboard test' };
    let jobId: string;
    if (options.numbered === true) {
      const parsed = parseTakedownRequest(request);
      if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
      const added = await queue.add(TAKEDOWN_JOB_NAME, {
        enqueueToken: 'dashboard-test',
        payload: parsed.value,
      });
      jobId = added.id ?? '';
    } else {
      jobId = (await producer.enqueue(request)).jobId;
    }
    // A real failure, through a real BullMQ worker, as the processor produces it.
    const worker = new Worker(
      TAKEDOWN_QUEUE,
      () => Promise.reject(new UnrecoverableError('Agora answered 403: no permission (test)')),
      { connection: { url: redisUrl() }, prefix, autorun: true },
    );
    try {
      await waitFor(async () => (await queue.getJobState(jobId)) === 'failed', {
        what: `${jobId} failed`,
      });
    } finally {
      await worker.close();
    }
    if (options.withEntry === false) return jobId;
    const job = await queue.getJob(jobId);
    const entry = toDeadLetterEntry({
      jobId,
      data: job?.data,
      err: Object.assign(new Error('no permission'), {
        name: 'AgoraHttpError',
        status: 403,
        requestId: 'req-dash-1',
      }),
      failedStep: 'revoke-key',
      attempts: 1,
      reason: 'permanent',
      now: new Date(),
      enqueuedAt: job?.timestamp,
    });
    await createDeadLetterWriter({ queue: dlq }).write(entry);
    return jobId;
  }

  return {
    server,
    producer,
    queue,
    dlq,
    deadLetter,
    async close() {
      await server.close();
      await producer.close();
      await queue.close();
      await dlq.close();
      connection.disconnect();
    },
  };
}
