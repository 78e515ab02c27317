import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { finished } from 'node:stream/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { APP_ID, createHarness } from '../producer/producer-harness.js';
import { jsonOf, runTakedown } from './run-takedown.js';

const ROWS = 100_000;
/** The CLI streams the file and enqueues in chunks: its peak RSS must not grow with the file. */
const MAX_PEAK_RSS_MB = 200;

const dir = mkdtempSync(join(tmpdir(), 'takedown-cli-big-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function writeBigCsv(path: string): Promise<void> {
  const out = createWriteStream(path);
  out.write('sid,streamKey,region,appId,channel,reason\n');
  for (let i = 0; i < ROWS; i++) {
    const line = `big-sid-${i},big-key-${i},na,,channel-${i % 100},bulk policy sweep row ${i}\n`;
    if (!out.write(line)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
  }
  out.end();
  await finished(out);
}

describe('takedown batch with a large file', () => {
  it(`enqueues ${ROWS} rows with bounded memory (peak RSS < ${MAX_PEAK_RSS_MB} MB)`, async () => {
    const h = await createHarness('cli-big');
    try {
      const path = join(dir, 'big.csv');
      await writeBigCsv(path);
      const run = await runTakedown(['batch', path, '--json'], {
        env: { REDIS_URL: h.url, TAKEDOWN_PREFIX: h.prefix, AGORA_APP_ID: APP_ID },
        measureRss: true,
        timeoutMs: 120_000,
      });
      expect(run.code, run.stderr).toBe(0);
      expect(jsonOf(run)).toMatchObject({
        total: ROWS,
        enqueued: ROWS,
        duplicates: 0,
        rejected: 0,
      });
      const counts = await h.queue.getJobCounts('waiting', 'prioritized');
      expect((counts['waiting'] ?? 0) + (counts['prioritized'] ?? 0)).toBe(ROWS);
      expect(run.peakRssMb).toBeGreaterThan(0);
      expect(run.peakRssMb).toBeLessThan(MAX_PEAK_RSS_MB);
      // Plain progress lines on stderr (not a TTY), never on stdout.
      expect(run.stdout.trim().split('\n')).toHaveLength(1);
      console.log(`batch of ${ROWS} rows: ${run.ms} ms, peak RSS ${run.peakRssMb?.toFixed(0)} MB`);
    } finally {
      await h.close();
    }
  });
});
