import { createHmac, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingHttpHeaders, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { Queue } from 'bullmq';
import type { Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { createAuditStore } from '../../../src/audit/index.js';
import type { AuditStore } from '../../../src/audit/index.js';
import {
  CALLBACK_QUEUE,
  createCallbackSender,
  createCallbackWorker,
} from '../../../src/callbacks/index.js';
import type { CallbackAttemptResult } from '../../../src/callbacks/index.js';
import { createLogger } from '../../../src/logging/index.js';
import { createTakedownOutcomes } from '../../../src/worker/index.js';
import type { TakedownOutcomes } from '../../../src/worker/index.js';
import { createHarness } from '../worker/harness.js';
import type { Harness, InProcessWorker } from '../worker/harness.js';

/** A fresh Standard Webhooks secret: whsec_ + base64 of 32 random bytes. */
export function newSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

/**
 * The receiver's side of the Standard Webhooks spec, written from the spec (not with the library
 * the worker signs with): HMAC-SHA256 over `id.timestamp.body` with the decoded secret.
 */
export function signatureIsValid(
  secret: string,
  headers: IncomingHttpHeaders,
  body: string,
): boolean {
  const id = headers['webhook-id'];
  const timestamp = headers['webhook-timestamp'];
  const signatures = headers['webhook-signature'];
  if (typeof id !== 'string' || typeof timestamp !== 'string' || typeof signatures !== 'string')
    return false;
  if (Math.abs(Date.now() / 1000 - Number(timestamp)) > 300) return false;
  const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
  const expected = createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64');
  return signatures.split(' ').some((s) => s === `v1,${expected}`);
}

export interface Received {
  at: number;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  answered: number;
}

export interface Receiver {
  url(path?: string): string;
  received: Received[];
  /** Answers per path: the n-th request to a path gets the n-th answer (the last one repeats). */
  answers: Map<string, { status: number; headers?: Record<string, string> }[]>;
  close(): Promise<void>;
}

/** A loopback HTTP receiver: the only place these tests deliver to. */
export async function startReceiver(): Promise<Receiver> {
  const received: Received[] = [];
  const answers = new Map<string, { status: number; headers?: Record<string, string> }[]>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = new URL(req.url ?? '/', 'http://receiver').pathname;
      const seen = received.filter((r) => r.path === path).length;
      const script = answers.get(path) ?? [{ status: 200 }];
      const answer = script[Math.min(seen, script.length - 1)] ?? { status: 200 };
      received.push({
        at: Date.now(),
        path,
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        answered: answer.status,
      });
      res.writeHead(answer.status, answer.headers ?? {});
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: (path = '/hook') => `http://127.0.0.1:${port}${path}`,
    received,
    answers,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export interface OutcomesWorld {
  h: Harness;
  worker: InProcessWorker;
  audit: AuditStore;
  outcomes: TakedownOutcomes;
  callbackQueue: Queue;
  callbackWorker: Worker;
  attempts: CallbackAttemptResult[];
  /** Everything every logger of this world wrote (all levels). */
  logText(): string;
  close(): Promise<void>;
}

/**
 * A worker world (own prefix, simulator, producer) with the audit trail and callbacks wired as
 * `takedown worker` wires them, a fast retry schedule, and loggers that keep what they write.
 */
export async function createOutcomesWorld(options: {
  secret: string | undefined;
  retrySchedule?: number[];
  harness?: Parameters<typeof createHarness>[0];
}): Promise<OutcomesWorld> {
  const h = await createHarness(options.harness ?? {});
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString('utf8'));
      done();
    },
  });
  const logger = createLogger({ level: 'trace', destination: sink });
  const redis = new Redis(h.redisUrl, { maxRetriesPerRequest: null });
  const workerRedis = new Redis(h.redisUrl, { maxRetriesPerRequest: null });
  const audit = createAuditStore({ redis, prefix: h.prefix, retentionDays: 400 });
  const callbackQueue = new Queue(CALLBACK_QUEUE, { connection: redis, prefix: h.prefix });
  const schedule = options.retrySchedule ?? [0, 100, 100];
  const attempts: CallbackAttemptResult[] = [];
  const callbackWorker = createCallbackWorker({
    connection: workerRedis,
    prefix: h.prefix,
    secret: options.secret,
    allowedHosts: [],
    timeoutMs: 2000,
    retrySchedule: schedule,
    concurrency: 5,
    logger,
    audit,
    onAttempt: (r) => attempts.push(r),
  });
  const running = callbackWorker.run();
  await callbackWorker.waitUntilReady();
  const outcomes = createTakedownOutcomes({
    audit,
    callbacks: createCallbackSender({ queue: callbackQueue, attempts: schedule.length }),
    logger,
  });
  const worker = await h.startWorker({ hooks: outcomes.hooks, logger });
  return {
    h,
    worker,
    audit,
    outcomes,
    callbackQueue,
    callbackWorker,
    attempts,
    logText: () => lines.join(''),
    close: async () => {
      await worker.stop();
      await callbackWorker.close();
      await running;
      await callbackQueue.obliterate({ force: true }).catch(() => undefined);
      await callbackQueue.close();
      const keys = await redis.keys(`${h.prefix}:*`);
      if (keys.length > 0) await redis.del(...keys);
      await redis.quit();
      await workerRedis.quit();
      await h.close();
    },
  };
}
