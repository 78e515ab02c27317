import { DEAD_LETTER_QUEUE, TAKEDOWN_QUEUE, takedownJobId } from '../../../src/jobs/index.js';
import { createMetrics } from '../../../src/metrics/index.js';
import { createOpsServer } from '../../../src/server/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  basicAuth as basic,
  createDashboardWorld,
  DASHBOARD_APP_ID,
  DASHBOARD_PASSWORD as PASSWORD,
  DASHBOARD_USER as USER,
  silentLogger as silent,
} from '../../support/dashboard-world.js';
import type { DashboardWorld } from '../../support/dashboard-world.js';

// The same dashboard in a real browser: test/browser/dashboard.test.ts (`npm run test:browser`).
describe('dashboard (Bull Board) at /dashboard', () => {
  let world: DashboardWorld;
  /** A takedown that failed for good: failed in `takedown`, with its entry in `takedown-dlq`. */
  let deadJobId: string;

  beforeAll(async () => {
    world = await createDashboardWorld();
    deadJobId = await world.deadLetter('siddead1');
  });

  afterAll(async () => {
    await world?.close();
  });

  it('is not mounted without a user and password', async () => {
    const bare = await createOpsServer({
      host: '127.0.0.1',
      port: 0,
      logger: silent,
      metrics: createMetrics({ defaultMetrics: false }),
      isReady: () => Promise.resolve({ ready: true }),
      dashboard: { user: USER, password: '', queue: world.queue, dlq: world.dlq },
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
    expect(world.server.mounted.dashboard).toBe(true);
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
        const res = await fetch(`${world.server.url}${path}`, { headers });
        expect(res.status, `${path} ${JSON.stringify(headers)}`).toBe(401);
        expect(res.headers.get('www-authenticate')).toMatch(/^Basic realm="takedown dashboard"/);
        await res.body?.cancel();
      }
    }
  });

  it('serves the board and lists both queues with credentials', async () => {
    const page = await fetch(`${world.server.url}/dashboard`, {
      headers: { authorization: basic(USER, PASSWORD) },
    });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    await page.body?.cancel();

    const res = await fetch(`${world.server.url}/dashboard/api/queues`, {
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
    let res = await fetch(`${world.server.url}/dashboard/api/queues/${DEAD_LETTER_QUEUE}/empty`, {
      method: 'PUT',
      headers: auth,
    });
    // Refused by the route policy before Bull Board's own read-only check (405) is reached.
    expect(res.status).toBe(403);
    res = await fetch(
      `${world.server.url}/dashboard/api/queues/${DEAD_LETTER_QUEUE}/${deadJobId}/clean`,
      { method: 'PUT', headers: auth },
    );
    expect(res.status).toBe(403);
    expect(await world.dlq.getJob(deadJobId)).toBeDefined();

    res = await fetch(`${world.server.url}/dashboard/api/queues/${TAKEDOWN_QUEUE}/add`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'takedown', data: { payload: {} }, options: {} }),
    });
    expect(res.status).toBe(403);
    expect(JSON.stringify(await res.json())).toMatch(/takedown enqueue/);
    res = await fetch(`${world.server.url}/dashboard/api/queues/${TAKEDOWN_QUEUE}/obliterate`, {
      method: 'PUT',
      headers: auth,
    });
    expect(res.status).toBe(403);
    expect(await world.queue.getJobCounts('failed')).toEqual({ failed: 1 });
  });

  it('redrives a failed takedown with Retry exactly as `takedown dlq redrive` does', async () => {
    const jobId = await world.deadLetter('siddead2');
    expect(await world.producer.getStatus(jobId)).toMatchObject({ state: 'dead-lettered' });

    const res = await fetch(
      `${world.server.url}/dashboard/api/queues/${TAKEDOWN_QUEUE}/${jobId}/retry`,
      {
        method: 'PUT',
        headers: { authorization: basic(USER, PASSWORD) },
      },
    );
    expect(res.status).toBe(204);
    // The producer's redrive: a fresh job under the same id (attempts reset), DLQ entry removed.
    expect(await world.producer.showDead(jobId)).toBeNull();
    const status = await world.producer.getStatus(jobId);
    expect(status).toMatchObject({ kind: 'job', jobId, state: 'waiting', attempts: 0 });
    const job = await world.queue.getJob(jobId);
    expect(job?.attemptsMade).toBe(0);
    expect(job?.data.payload).toMatchObject({ sid: 'siddead2', appId: DASHBOARD_APP_ID });

    // Retrying it again: it is not failed any more (Bull Board's own state check).
    const retryAgain = await fetch(
      `${world.server.url}/dashboard/api/queues/${TAKEDOWN_QUEUE}/${jobId}/retry`,
      {
        method: 'PUT',
        headers: { authorization: basic(USER, PASSWORD) },
      },
    );
    expect(retryAgain.status).toBe(400);
    await retryAgain.body?.cancel();
    await world.queue.remove(jobId);
  });

  it('redrives with Retry a takedown whose id BullMQ numbered (all digits; its DLQ id is n-<id>)', async () => {
    const jobId = await world.deadLetter('siddead4', { numbered: true });
    expect(jobId).toMatch(/^\d+$/);
    expect(await world.producer.getStatus(jobId)).toMatchObject({ state: 'dead-lettered' });

    const res = await fetch(
      `${world.server.url}/dashboard/api/queues/${TAKEDOWN_QUEUE}/${jobId}/retry`,
      { method: 'PUT', headers: { authorization: basic(USER, PASSWORD) } },
    );
    expect(res.status).toBe(204);
    await res.body?.cancel();
    // BullMQ refuses an all-digit custom id: the takedown runs again under the id its payload
    // gives, and the numbered job and its DLQ entry are gone.
    expect(await world.producer.showDead(jobId)).toBeNull();
    expect(await world.queue.getJob(jobId)).toBeUndefined();
    const requeued = takedownJobId({ appId: DASHBOARD_APP_ID, sid: 'siddead4' });
    expect(await world.producer.getStatus(requeued)).toMatchObject({
      state: 'waiting',
      attempts: 0,
    });
    await world.queue.remove(requeued);
  });

  it('refuses to retry a failed takedown whose DLQ entry is not written yet, as the CLI does', async () => {
    const jobId = await world.deadLetter('siddead3', { withEntry: false });
    const res = await fetch(
      `${world.server.url}/dashboard/api/queues/${TAKEDOWN_QUEUE}/${jobId}/retry`,
      {
        method: 'PUT',
        headers: { authorization: basic(USER, PASSWORD) },
      },
    );
    expect(res.status).toBe(409);
    expect(JSON.stringify(await res.json())).toMatch(/has no dead-letter entry yet/);
    expect(await world.queue.getJobState(jobId)).toBe('failed');
    await world.queue.remove(jobId);
  });
});
