import { afterEach, describe, expect, it } from 'vitest';
import { APP_ID, createHarness, waitForFinished } from './harness.js';
import type { Harness } from './harness.js';

describe('parking on a busy limiter (issue 6)', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it('parks without spending the 429 budget or an attempt: a batch far over the limit completes', async () => {
    // One attempt and no 429 budget: if a busy-park counted as either, jobs would fail.
    h = await createHarness({ attempts: 1 });
    const L = 10;
    const n = 8;
    const streams = await h.admin.seed({ appId: APP_ID, region: 'na', count: n });
    await h.startWorker({
      limits: { create: 0, delete: L, query: 0 },
      takedown: { maxRateLimited: 0, verify: false },
      worker: { concurrency: n },
    });
    // All at once (one call), so they meet the limiter together even on a slow machine.
    const res = await h.producer.enqueueMany(
      streams.map((s) => ({ region: 'na' as const, sid: s.sid, streamKey: s.streamKey })),
    );
    const ids = res.results.flatMap((r) => ('jobId' in r ? [r.jobId] : []));
    expect(ids).toHaveLength(n);
    // 2·n deletes at L/s: ~1.6 s; every job is in a worker slot at once, so most must park.
    const finished = await waitForFinished(h.queue, n, 20_000);
    expect(finished).toEqual({ completed: n, failed: 0 });
    expect(await h.dlq.count()).toBe(0);

    let parked = 0;
    for (const id of ids) {
      const data = (await h.queue.getJob(id))?.data as Record<string, unknown> | undefined;
      expect(data?.['rateLimited']).toBeUndefined();
      parked += typeof data?.['parked'] === 'number' ? data['parked'] : 0;
    }
    expect(parked).toBeGreaterThan(0);

    const calls = await h.admin.calls();
    expect(calls.filter((c) => c.status === 429)).toHaveLength(0);
  });
});
