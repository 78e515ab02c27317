import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { createAgoraClient } from '../../../src/agora/index.js';
import type { TakedownRequest } from '../../../src/jobs/index.js';
import { waitFor } from '../../support/wait-for.js';
import { orderViolations } from './call-order.js';
import { APP_ID, CUSTOMER_ID, CUSTOMER_SECRET, createHarness, waitForFinished } from './harness.js';
import type { Harness } from './harness.js';

const RECONNECT_DELAY_MS = 100;
const VERIFY_DELAY_MS = 300;

describe('takedown order (issue 3, tests 1–2)', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it('revokes each key before disconnecting any of its sessions, and nothing stays live (200 mixed takedowns)', async () => {
    h = await createHarness({ simulator: { reconnectDelayMs: RECONNECT_DELAY_MS } });
    const harness = h;
    const seeded = await harness.admin.seed({
      appId: APP_ID,
      region: 'na',
      count: 200,
      reconnect: true,
    });
    const sidToKey = new Map(seeded.map((s) => [s.sid, s.streamKey]));

    // Every SID ever live, from the simulator itself (reconnects and extra pushes included).
    let polling = true;
    const poller = (async () => {
      while (polling) {
        for (const s of await harness.admin.streams({ appId: APP_ID }))
          sidToKey.set(s.sid, s.streamKey);
        await sleep(20);
      }
    })();

    const requests: TakedownRequest[] = seeded.map((s, i) =>
      i % 3 === 0
        ? { region: 'na', sid: s.sid, streamKey: s.streamKey }
        : i % 3 === 1
          ? { region: 'na', sid: s.sid }
          : { region: 'na', streamKey: s.streamKey },
    );
    await harness.startWorker({ takedown: { verifyDelayMs: VERIFY_DELAY_MS } });
    const enqueued = await harness.producer.enqueueMany(requests);
    expect(enqueued.counts.enqueued).toBe(200);

    // Pushes starting while takedowns run: a second encoder on 20 keys (refused once revoked).
    const extra = await Promise.all(
      seeded
        .slice(0, 60)
        .filter((_, i) => i % 3 !== 1)
        .slice(0, 20)
        .map(async (s) =>
          harness.admin
            .startEncoder({ appId: APP_ID, region: 'na', streamKey: s.streamKey, reconnect: true })
            .then((sid) => {
              sidToKey.set(sid, s.streamKey);
              return sid;
            })
            .catch(() => undefined),
        ),
    );

    const finished = await waitForFinished(harness.queue, 200, 60_000);
    expect(finished).toEqual({ completed: 200, failed: 0 });
    // Long enough for any reconnect the encoders would attempt to be made (and refused).
    await sleep(RECONNECT_DELAY_MS * 4);
    polling = false;
    await poller;

    const calls = await harness.admin.calls();
    expect(orderViolations(calls, sidToKey)).toEqual([]);
    const keys = new Set(seeded.map((s) => s.streamKey));
    const live = (await harness.admin.streams({ appId: APP_ID })).filter((s) =>
      keys.has(s.streamKey),
    );
    expect(live).toEqual([]);
    const revoked = (await harness.admin.keys({ appId: APP_ID })).filter((k) =>
      keys.has(k.streamKey),
    );
    expect(revoked.filter((k) => !k.revoked)).toEqual([]);
    // No encoder ever got back in: every disconnect came after the revocation.
    const stats = await harness.admin.stats();
    expect(stats.reconnects).toBe(0);
    expect(stats.refusedReconnects).toBeGreaterThanOrEqual(200);
    // Every key was revoked exactly once by a successful DELETE (no step ran twice).
    const deletes = calls.filter((c) => c.op === 'delete-key' && c.status === 200);
    expect(deletes).toHaveLength(200);
    expect(new Set(deletes.map((c) => c.streamKey)).size).toBe(200);
    // The extra pushes that got in were cut too (by the disconnect or the verify step).
    const extraLive = extra.filter((sid) => sid !== undefined);
    for (const sid of extraLive) {
      expect(calls.some((c) => c.op === 'disconnect' && c.sid === sid)).toBe(true);
    }
  });

  it('verify cuts a push that started after resolve had listed the sessions', async () => {
    h = await createHarness({ simulator: { reconnectDelayMs: RECONNECT_DELAY_MS } });
    const harness = h;
    const [stream] = await harness.admin.seed({
      appId: APP_ID,
      region: 'na',
      count: 1,
      reconnect: true,
    });
    if (stream === undefined) throw new Error('seed returned nothing');
    // The revoke fails once, so the job waits out a backoff between resolve and revoke-key.
    await harness.admin.setFaults({
      rules: [{ op: 'delete-key', streamKey: stream.streamKey, status: 503, count: 1 }],
    });
    await harness.startWorker({
      takedown: { verifyDelayMs: VERIFY_DELAY_MS, backoffMs: 600, backoffMaxMs: 600 },
    });
    const { jobId } = await harness.producer.enqueue({
      region: 'na',
      sid: stream.sid,
      streamKey: stream.streamKey,
    });
    await waitFor(
      async () =>
        (await harness.admin.calls()).some((c) => c.op === 'delete-key' && c.status === 503),
      { timeoutMs: 5000, what: 'the failed revoke' },
    );
    const late = await harness.admin.startEncoder({
      appId: APP_ID,
      region: 'na',
      streamKey: stream.streamKey,
      reconnect: true,
    });

    await waitForFinished(harness.queue, 1, 15_000);
    const job = await harness.queue.getJob(jobId);
    expect(await job?.getState()).toBe('completed');
    const result = job?.returnvalue as
      { foundByVerify: string[]; disconnected: string[] } | undefined;
    expect(result?.disconnected).toContain(stream.sid);
    expect(result?.foundByVerify).toEqual([late]);
    await sleep(RECONNECT_DELAY_MS * 4);
    expect(await harness.admin.streams({ appId: APP_ID })).toEqual([]);
    const sidToKey = new Map([
      [stream.sid, stream.streamKey],
      [late, stream.streamKey],
    ]);
    expect(orderViolations(await harness.admin.calls(), sidToKey)).toEqual([]);
  });

  it('control: disconnecting without revoking lets the encoder reconnect with a new SID, and the order check catches it', async () => {
    h = await createHarness({ simulator: { reconnectDelayMs: RECONNECT_DELAY_MS } });
    const harness = h;
    const seeded = await harness.admin.seed({
      appId: APP_ID,
      region: 'na',
      count: 5,
      reconnect: true,
    });
    const sidToKey = new Map(seeded.map((s) => [s.sid, s.streamKey]));
    const client = createAgoraClient({
      baseUrl: harness.sim.url,
      auth: { scheme: 'basic', customerId: CUSTOMER_ID, customerSecret: CUSTOMER_SECRET },
      timeoutMs: 5000,
    });
    try {
      // The wrong order: cut the session, revoke the key afterwards.
      for (const s of seeded)
        await client.disconnectStream({ region: 'na', appId: APP_ID, sid: s.sid });
      const reconnected = await waitFor(
        async () => {
          const live = await harness.admin.streams({ appId: APP_ID });
          return live.length === seeded.length && live.every((l) => !sidToKey.has(l.sid))
            ? live
            : undefined;
        },
        { timeoutMs: 5000, what: 'every encoder to reconnect with a new SID' },
      );
      for (const l of reconnected) sidToKey.set(l.sid, l.streamKey);
      for (const s of seeded)
        await client.deleteStreamKey({ region: 'na', appId: APP_ID, streamKey: s.streamKey });
    } finally {
      await client.close();
    }
    const stats = await harness.admin.stats();
    expect(stats.reconnects).toBe(5);
    expect((await harness.admin.streams({ appId: APP_ID })).length).toBe(5);
    const violations = orderViolations(await harness.admin.calls(), sidToKey);
    expect(violations.map((v) => v.sid).sort()).toEqual(seeded.map((s) => s.sid).sort());
  });
});
