import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Queue, UnrecoverableError, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DEAD_LETTER_JOB_NAME,
  DEAD_LETTER_QUEUE,
  TAKEDOWN_QUEUE,
  toDeadLetterEntry,
} from '../../../src/jobs/index.js';
import type { DeadLetterEntry, TakedownJobData } from '../../../src/jobs/index.js';
import { createMetrics } from '../../../src/metrics/index.js';
import { createProducer } from '../../../src/producer/index.js';
import type { Producer } from '../../../src/producer/index.js';
import { createOpsServer } from '../../../src/server/index.js';
import type { OpsServer } from '../../../src/server/index.js';
import { redisUrl, uniquePrefix } from '../../support/isolation.js';
import { waitFor } from '../../support/wait-for.js';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_HINT =
  `The dashboard browser test needs Debian's chromium at ${CHROMIUM}: ` +
  '`apt-get update && apt-get install -y chromium` (`bash .ci/run` installs it on CI).';
const USER = 'ops';
const PASSWORD = 'dashboard-pass-7f3a9c';
const APP_ID = 'appdash01';
const SCREENSHOT = fileURLToPath(new URL('../../../test-output/dashboard.png', import.meta.url));

function basic(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
}

const silent = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

describe('dashboard (Bull Board) at /dashboard', () => {
  const prefix = uniquePrefix('dash');
  let connection: Redis;
  let queue: Queue<TakedownJobData>;
  let dlq: Queue<DeadLetterEntry>;
  let producer: Producer;
  let server: OpsServer;
  /** A takedown that failed for good: failed in `takedown`, with its entry in `takedown-dlq`. */
  let deadJobId: string;

  async function deadLetter(
    sid: string,
    options: { withEntry: boolean } = { withEntry: true },
  ): Promise<string> {
    const { jobId } = await producer.enqueue({
      region: 'na',
      appId: APP_ID,
      sid,
      reason: 'dashboard test',
    });
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
    if (!options.withEntry) return jobId;
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
    await dlq.add(DEAD_LETTER_JOB_NAME, entry, {
      jobId,
      removeOnComplete: false,
      removeOnFail: false,
    });
    return jobId;
  }

  beforeAll(async () => {
    connection = new Redis(redisUrl(), { maxRetriesPerRequest: null });
    queue = new Queue<TakedownJobData>(TAKEDOWN_QUEUE, { connection, prefix });
    dlq = new Queue<DeadLetterEntry>(DEAD_LETTER_QUEUE, { connection, prefix });
    producer = await createProducer({
      redisUrl: redisUrl(),
      prefix,
      attempts: 3,
      idempotencyWindowS: 3600,
    });
    server = await createOpsServer({
      host: '127.0.0.1',
      port: 0,
      logger: silent,
      metrics: createMetrics({ defaultMetrics: false }),
      isReady: () => Promise.resolve({ ready: true }),
      dashboard: {
        user: USER,
        password: PASSWORD,
        queue,
        dlq,
        redrive: (ids) => producer.redrive(ids),
      },
    });
    deadJobId = await deadLetter('siddead1');
  });

  afterAll(async () => {
    await server?.close();
    await producer?.close();
    await queue?.close();
    await dlq?.close();
    connection?.disconnect();
  });

  it('is not mounted without a user and password', async () => {
    const bare = await createOpsServer({
      host: '127.0.0.1',
      port: 0,
      logger: silent,
      metrics: createMetrics({ defaultMetrics: false }),
      isReady: () => Promise.resolve({ ready: true }),
      dashboard: { user: USER, password: '', queue, dlq },
    });
    try {
      expect(bare.mounted.dashboard).toBe(false);
      expect(
        (await fetch(`${bare.url}/dashboard`, { headers: { authorization: basic(USER, '') } }))
          .status,
      ).toBe(404);
    } finally {
      await bare.close();
    }
  });

  it('answers 401 with a Basic challenge without or with wrong credentials, for pages, assets and API', async () => {
    expect(server.mounted.dashboard).toBe(true);
    for (const path of [
      '/dashboard',
      '/dashboard/',
      '/dashboard/api/queues',
      `/dashboard/queue/${DEAD_LETTER_QUEUE}`,
    ]) {
      for (const headers of [
        {},
        { authorization: basic(USER, 'wrong') },
        { authorization: basic('admin', PASSWORD) },
        { authorization: 'Bearer x' },
      ]) {
        const res = await fetch(`${server.url}${path}`, { headers });
        expect(res.status, `${path} ${JSON.stringify(headers)}`).toBe(401);
        expect(res.headers.get('www-authenticate')).toMatch(/^Basic realm="takedown dashboard"/);
        await res.body?.cancel();
      }
    }
  });

  it('serves the board and lists both queues with credentials', async () => {
    const page = await fetch(`${server.url}/dashboard`, {
      headers: { authorization: basic(USER, PASSWORD) },
    });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    await page.body?.cancel();

    const res = await fetch(`${server.url}/dashboard/api/queues`, {
      headers: { authorization: basic(USER, PASSWORD) },
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      queues: { name: string; readOnlyMode: boolean; allowRetries: boolean }[];
    };
    const byName = new Map(body.queues.map((q) => [q.name, q]));
    expect(byName.get(TAKEDOWN_QUEUE)).toMatchObject({ readOnlyMode: false, allowRetries: true });
    expect(byName.get(DEAD_LETTER_QUEUE)).toMatchObject({
      readOnlyMode: true,
      allowRetries: false,
    });
  });

  it('keeps the DLQ read-only and refuses adding jobs or obliterating the takedown queue', async () => {
    const auth = { authorization: basic(USER, PASSWORD) };
    let res = await fetch(`${server.url}/dashboard/api/queues/${DEAD_LETTER_QUEUE}/empty`, {
      method: 'PUT',
      headers: auth,
    });
    expect(res.status).toBe(405);
    res = await fetch(
      `${server.url}/dashboard/api/queues/${DEAD_LETTER_QUEUE}/${deadJobId}/clean`,
      { method: 'PUT', headers: auth },
    );
    expect(res.status).toBe(405);
    expect(await dlq.getJob(deadJobId)).toBeDefined();

    res = await fetch(`${server.url}/dashboard/api/queues/${TAKEDOWN_QUEUE}/add`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'takedown', data: { payload: {} }, options: {} }),
    });
    expect(res.status).toBe(403);
    expect(JSON.stringify(await res.json())).toMatch(/takedown enqueue/);
    res = await fetch(`${server.url}/dashboard/api/queues/${TAKEDOWN_QUEUE}/obliterate`, {
      method: 'PUT',
      headers: auth,
    });
    expect(res.status).toBe(403);
    expect(await queue.getJobCounts('failed')).toEqual({ failed: 1 });
  });

  it('redrives a failed takedown with Retry exactly as `takedown dlq redrive` does', async () => {
    const jobId = await deadLetter('siddead2');
    expect(await producer.getStatus(jobId)).toMatchObject({ state: 'dead-lettered' });

    const res = await fetch(`${server.url}/dashboard/api/queues/${TAKEDOWN_QUEUE}/${jobId}/retry`, {
      method: 'PUT',
      headers: { authorization: basic(USER, PASSWORD) },
    });
    expect(res.status).toBe(204);
    // The producer's redrive: a fresh job under the same id (attempts reset), DLQ entry removed.
    expect(await producer.showDead(jobId)).toBeNull();
    const status = await producer.getStatus(jobId);
    expect(status).toMatchObject({ kind: 'job', jobId, state: 'waiting', attempts: 0 });
    const job = await queue.getJob(jobId);
    expect(job?.attemptsMade).toBe(0);
    expect(job?.data.payload).toMatchObject({ sid: 'siddead2', appId: APP_ID });

    // Retrying it again: it is not failed any more (Bull Board's own state check).
    const retryAgain = await fetch(
      `${server.url}/dashboard/api/queues/${TAKEDOWN_QUEUE}/${jobId}/retry`,
      {
        method: 'PUT',
        headers: { authorization: basic(USER, PASSWORD) },
      },
    );
    expect(retryAgain.status).toBe(400);
    await retryAgain.body?.cancel();
    await queue.remove(jobId);
  });

  it('refuses to retry a failed takedown whose DLQ entry is not written yet, as the CLI does', async () => {
    const jobId = await deadLetter('siddead3', { withEntry: false });
    const res = await fetch(`${server.url}/dashboard/api/queues/${TAKEDOWN_QUEUE}/${jobId}/retry`, {
      method: 'PUT',
      headers: { authorization: basic(USER, PASSWORD) },
    });
    expect(res.status).toBe(409);
    expect(JSON.stringify(await res.json())).toMatch(/has no dead-letter entry yet/);
    expect(await queue.getJobState(jobId)).toBe('failed');
    await queue.remove(jobId);
  });

  it('shows both queues and the DLQ entry in a real browser, and saves a screenshot', async () => {
    if (!existsSync(CHROMIUM)) throw new Error(CHROMIUM_HINT);
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    try {
      // Without credentials the browser gets the 401 challenge (headless Chromium, unable to
      // prompt, turns it into ERR_INVALID_AUTH_CREDENTIALS).
      const anonymous = await browser.newContext();
      const denied = await (await anonymous.newPage()).goto(`${server.url}/dashboard`).then(
        (r) => `status ${r?.status()}`,
        (err: Error) => err.message,
      );
      expect(denied).toMatch(/status 401|ERR_INVALID_AUTH_CREDENTIALS/);
      await anonymous.close();

      const context = await browser.newContext({
        httpCredentials: { username: USER, password: PASSWORD },
        viewport: { width: 1400, height: 900 },
      });
      const page = await context.newPage();
      const overview = await page.goto(`${server.url}/dashboard`);
      expect(overview?.status()).toBe(200);
      await page.getByText(DEAD_LETTER_QUEUE, { exact: true }).first().waitFor({ timeout: 15_000 });
      await page.getByText(TAKEDOWN_QUEUE, { exact: true }).first().waitFor({ timeout: 15_000 });

      await page.goto(`${server.url}/dashboard/queue/${DEAD_LETTER_QUEUE}?status=waiting`);
      await page.getByText(deadJobId).first().waitFor({ timeout: 15_000 });
      await mkdir(dirname(SCREENSHOT), { recursive: true });
      await page.screenshot({ path: SCREENSHOT, fullPage: true });
      expect(existsSync(SCREENSHOT)).toBe(true);
      await context.close();
    } finally {
      await browser.close();
    }
  });
});
