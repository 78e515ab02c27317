import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEAD_LETTER_QUEUE, TAKEDOWN_QUEUE } from '../../src/jobs/index.js';
import {
  createDashboardWorld,
  DASHBOARD_PASSWORD,
  DASHBOARD_USER,
} from '../support/dashboard-world.js';
import type { DashboardWorld } from '../support/dashboard-world.js';
import { launchBrowser } from '../support/launch-browser.js';

const SCREENSHOT = fileURLToPath(new URL('../../test-output/dashboard.png', import.meta.url));

describe('dashboard (Bull Board) in a real browser', () => {
  let world: DashboardWorld;
  let deadJobId: string;

  beforeAll(async () => {
    world = await createDashboardWorld();
    deadJobId = await world.deadLetter('siddead1');
  });

  afterAll(async () => {
    await world?.close();
  });

  it('shows both queues and the DLQ entry, and saves a screenshot', async () => {
    const browser = await launchBrowser();
    try {
      // Without credentials the browser gets the 401 challenge (headless Chromium, unable to
      // prompt, turns it into ERR_INVALID_AUTH_CREDENTIALS).
      const anonymous = await browser.newContext();
      const denied = await (await anonymous.newPage()).goto(`${world.server.url}/dashboard`).then(
        (r) => `status ${r?.status()}`,
        (err: Error) => err.message,
      );
      expect(denied).toMatch(/status 401|ERR_INVALID_AUTH_CREDENTIALS/);
      await anonymous.close();

      const context = await browser.newContext({
        httpCredentials: { username: DASHBOARD_USER, password: DASHBOARD_PASSWORD },
        viewport: { width: 1400, height: 900 },
      });
      const page = await context.newPage();
      const overview = await page.goto(`${world.server.url}/dashboard`);
      expect(overview?.status()).toBe(200);
      await page.getByText(DEAD_LETTER_QUEUE, { exact: true }).first().waitFor({ timeout: 15_000 });
      await page.getByText(TAKEDOWN_QUEUE, { exact: true }).first().waitFor({ timeout: 15_000 });

      await page.goto(`${world.server.url}/dashboard/queue/${DEAD_LETTER_QUEUE}?status=waiting`);
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
