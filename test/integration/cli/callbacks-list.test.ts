import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  CALLBACK_QUEUE,
  createCallbackSender,
  createCallbackWorker,
} from '../../../src/callbacks/index.js';
import type { CallbackListEntry, CallbackSender } from '../../../src/callbacks/index.js';
import { createLogger } from '../../../src/logging/index.js';
import { waitFor } from '../../support/wait-for.js';
import { newSecret, startReceiver } from '../callbacks/outcomes-world.js';
import type { Receiver } from '../callbacks/outcomes-world.js';
import { APP_ID, createHarness } from '../producer/producer-harness.js';
import type { ProducerHarness } from '../producer/producer-harness.js';
import { jsonOf, runTakedown } from './run-takedown.js';
import type { TakedownRun } from './run-takedown.js';

/** A token in the callback URL's query: the listing shows URLs without their query. */
const QUERY_TOKEN = 'query-token-canary-5f3a';

let h: ProducerHarness;
let queue: Queue;
let sender: CallbackSender;
let receiver: Receiver;
let secret: string;
let env: Record<string, string>;
beforeEach(async () => {
  h = await createHarness('cli-callbacks');
  queue = new Queue(CALLBACK_QUEUE, { connection: h.redis, prefix: h.prefix });
  sender = createCallbackSender({ queue, attempts: 3 });
  receiver = await startReceiver();
  secret = newSecret();
  env = {
    REDIS_URL: h.url,
    TAKEDOWN_PREFIX: h.prefix,
    AGORA_APP_ID: APP_ID,
    CALLBACK_SECRET: secret,
  };
});
afterEach(async () => {
  await queue.obliterate({ force: true }).catch(() => undefined);
  await queue.close();
  await receiver.close();
  await h.close();
});

function send(jobId: string, path: string): Promise<string> {
  const requestedAt = new Date().toISOString();
  return sender.send({
    url: `${receiver.url(path)}?token=${QUERY_TOKEN}`,
    body: { type: 'takedown.completed', timestamp: requestedAt, data: { jobId } },
    takedownJobId: jobId,
    requestedAt,
    recordId: `${jobId}@${Date.parse(requestedAt)}`,
  });
}

/** Runs the real callback worker (signing with `secret`) until `failed` callbacks have failed. */
async function deliverUntilFailed(failed: number): Promise<void> {
  const connection = new Redis(h.url, { maxRetriesPerRequest: null });
  const worker = createCallbackWorker({
    connection,
    prefix: h.prefix,
    secret,
    allowedHosts: [],
    timeoutMs: 2000,
    retrySchedule: [0, 100, 100],
    concurrency: 2,
    logger: createLogger({ level: 'silent' }),
  });
  const running = worker.run();
  try {
    await waitFor(async () => (await queue.getFailedCount()) === failed, {
      what: `${failed} failed callback(s)`,
    });
  } finally {
    await worker.close();
    await running;
    await connection.quit();
  }
}

function expectNoSecrets(run: TakedownRun, what: string): void {
  const printed = run.stdout + run.stderr;
  expect(printed, what).not.toContain(secret);
  expect(printed, what).not.toContain(secret.slice('whsec_'.length));
  expect(printed, what).not.toContain(QUERY_TOKEN);
}

describe('takedown callbacks list (built binary, real Redis)', () => {
  it('lists pending and given-up callbacks; --failed only the latter; no secret is printed', async () => {
    receiver.answers.set('/gone', [{ status: 410 }]);
    const goneId = await send('sid-app-gone', '/gone');
    await deliverUntilFailed(1);
    const waitingId = await send('sid-app-waiting', '/later');

    const [all, failed, human, humanFailed] = await Promise.all([
      runTakedown(['callbacks', 'list', '--json'], { env }),
      runTakedown(['callbacks', 'list', '--failed', '--json'], { env }),
      runTakedown(['callbacks', 'list'], { env }),
      runTakedown(['callbacks', 'list', '--failed'], { env }),
    ]);
    for (const [run, what] of [
      [all, 'list --json'],
      [failed, 'list --failed --json'],
      [human, 'list'],
      [humanFailed, 'list --failed'],
    ] as const) {
      expect(run.code, `${what}: ${run.stderr}`).toBe(0);
      expectNoSecrets(run, what);
    }
    // The receiver got the signed attempt that failed: the secret was in use.
    expect(receiver.received.map((r) => r.answered)).toEqual([410]);

    const entries = jsonOf<CallbackListEntry[]>(all);
    const byId = new Map(entries.map((e) => [e.webhookId, e]));
    expect([...byId.keys()].sort()).toEqual([goneId, waitingId].sort());
    expect(byId.get(waitingId)).toMatchObject({
      type: 'takedown.completed',
      jobId: 'sid-app-waiting',
      url: `${receiver.url('/later')}?…`,
      state: 'waiting',
      attempts: 0,
    });
    expect(byId.get(goneId)).toMatchObject({
      jobId: 'sid-app-gone',
      url: `${receiver.url('/gone')}?…`,
      state: 'failed',
      attempts: 1,
      lastError: expect.stringMatching(/410 Gone/) as string,
      failedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) as string,
    });

    expect(jsonOf<CallbackListEntry[]>(failed).map((e) => e.webhookId)).toEqual([goneId]);

    expect(human.stdout).toMatch(
      /WEBHOOK ID\s+TYPE\s+JOB ID\s+STATE\s+ATTEMPTS\s+URL\s+LAST ERROR/,
    );
    expect(human.stdout).toContain(goneId);
    expect(human.stdout).toContain(waitingId);
    expect(humanFailed.stdout).toContain(goneId);
    expect(humanFailed.stdout).not.toContain(waitingId);
    expect(humanFailed.stdout).toMatch(/410 Gone/);
  });

  it('says when there is nothing to list; a bad --limit exits 2 naming it', async () => {
    const [none, noneFailed, noneJson, badLimit] = await Promise.all([
      runTakedown(['callbacks', 'list'], { env }),
      runTakedown(['callbacks', 'list', '--failed'], { env }),
      runTakedown(['callbacks', 'list', '--failed', '--json'], { env }),
      runTakedown(['callbacks', 'list', '--limit', 'lots'], { env }),
    ]);
    expect(none.code, none.stderr).toBe(0);
    expect(none.stdout.trim()).toBe('no callbacks waiting, retrying or failed');
    expect(noneFailed.stdout.trim()).toBe('no failed callbacks');
    expect(jsonOf(noneJson)).toEqual([]);
    expect(badLimit.code).toBe(2);
    expect(badLimit.stderr).toMatch(/--limit must be a whole number from 1 to 99999; got "lots"/);
    expect(badLimit.stdout).toBe('');
    for (const run of [none, noneFailed, noneJson, badLimit]) expectNoSecrets(run, 'empty');
  });
});
