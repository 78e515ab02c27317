import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TAKEDOWN_QUEUE } from '../../../src/jobs/index.js';
import { DASHBOARD_ROUTE_POLICY } from '../../../src/server/dashboard-route-policy.js';
import {
  basicAuth as basic,
  createDashboardWorld,
  DASHBOARD_APP_ID,
  DASHBOARD_PASSWORD as PASSWORD,
  DASHBOARD_USER as USER,
} from '../../support/dashboard-world.js';
import type { DashboardWorld } from '../../support/dashboard-world.js';

interface BullBoardRoute {
  method: string | string[];
  route: string | string[];
}

/** Every route the installed Bull Board serves, as its hooks see them (first method and path). */
function bullBoardRoutes(): string[] {
  const require = createRequire(import.meta.url);
  const { appRoutes } = require('@bull-board/api/dist/routes.js') as {
    appRoutes: { entryPoint: BullBoardRoute; api: BullBoardRoute[] };
  };
  const first = (v: string | string[]): string => (Array.isArray(v) ? (v[0] ?? '') : v);
  return [appRoutes.entryPoint, ...appRoutes.api].map(
    (r) => `${first(r.method).toLowerCase()} ${first(r.route)}`,
  );
}

// Plain HTTP, no browser: runs in `npm test`.
describe('dashboard routes: an inspection surface that cannot drop takedowns', () => {
  let world: DashboardWorld;
  let failedId: string;
  let waitingId: string;
  let expiryId: string;

  beforeAll(async () => {
    world = await createDashboardWorld();
    failedId = await world.deadLetter('sidroutes1');
    waitingId = (
      await world.producer.enqueue({ region: 'na', appId: DASHBOARD_APP_ID, sid: 'sidroutes2' })
    ).jobId;
    expiryId = (
      await world.producer.scheduleExpiry(
        { region: 'na', appId: DASHBOARD_APP_ID, streamKey: 'routesKeyAbcdefgh123' },
        new Date(Date.now() + 3_600_000),
      )
    ).jobId;
  });

  afterAll(async () => {
    await world?.close();
  });

  it('classifies every Bull Board route as allowed or refused (an upgrade that adds one fails here)', () => {
    const served = bullBoardRoutes();
    const unclassified = served.filter((r) => !DASHBOARD_ROUTE_POLICY.has(r));
    expect(unclassified).toEqual([]);
    // And no stale entries for routes Bull Board no longer has.
    expect([...DASHBOARD_ROUTE_POLICY.keys()].filter((r) => !served.includes(r))).toEqual([]);
  });

  it('refuses every route that removes, reorders or fires takedowns, naming the safe way, and loses nothing', async () => {
    const before = await world.queue.getJobCounts();
    const refused = [...DASHBOARD_ROUTE_POLICY].filter(([, p]) => p.kind === 'refused');
    expect(refused.length).toBeGreaterThanOrEqual(15);
    for (const [key, policy] of refused) {
      const [method = '', route = ''] = key.split(' ');
      const path = route
        .replace(':queueName', TAKEDOWN_QUEUE)
        .replace(
          ':jobId',
          route.includes('promote') || route.includes('delay') ? expiryId : waitingId,
        )
        .replace(':queueStatus', 'delayed')
        .replace(':schedulerId', 'none');
      const res = await fetch(`${world.server.url}/dashboard${path}`, {
        method: method.toUpperCase(),
        headers: { authorization: basic(USER, PASSWORD), 'content-type': 'application/json' },
        body: JSON.stringify({ delay: 1, priority: 1, data: {}, concurrency: 1, max: 1 }),
      });
      expect(res.status, key).toBe(403);
      const text = await res.text();
      expect(text, key).toContain('Not allowed from the dashboard');
      if (policy.kind === 'refused') expect(text, key).toContain(policy.reason.slice(0, 40));
    }
    // Nothing was dropped, fired or moved.
    expect(await world.queue.getJobCounts()).toEqual(before);
    expect(await world.queue.getJobState(expiryId)).toBe('delayed');
    expect(await world.queue.getJobState(waitingId)).toMatch(/waiting|prioritized/);
    expect(await world.queue.getJobState(failedId)).toBe('failed');
  });

  it('refuses retrying completed takedowns (only failed ones are redriven)', async () => {
    const res = await fetch(
      `${world.server.url}/dashboard/api/queues/${TAKEDOWN_QUEUE}/retry/completed`,
      { method: 'PUT', headers: { authorization: basic(USER, PASSWORD) } },
    );
    expect(res.status).toBe(403);
    expect(await res.text()).toMatch(/only failed takedowns/);
  });

  it('allows pause and resume', async () => {
    const auth = { authorization: basic(USER, PASSWORD) };
    const pause = await fetch(`${world.server.url}/dashboard/api/queues/${TAKEDOWN_QUEUE}/pause`, {
      method: 'PUT',
      headers: auth,
    });
    expect(pause.status).toBeLessThan(300);
    expect(await world.queue.isPaused()).toBe(true);
    const resume = await fetch(
      `${world.server.url}/dashboard/api/queues/${TAKEDOWN_QUEUE}/resume`,
      { method: 'PUT', headers: auth },
    );
    expect(resume.status).toBeLessThan(300);
    expect(await world.queue.isPaused()).toBe(false);
  });
});
