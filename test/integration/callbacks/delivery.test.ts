import { afterEach, describe, expect, it } from 'vitest';
import { listCallbacks } from '../../../src/callbacks/index.js';
import { waitFor } from '../../support/wait-for.js';
import { APP_ID, waitForFinished } from '../worker/harness.js';
import {
  createOutcomesWorld,
  newSecret,
  signatureIsValid,
  startReceiver,
} from './outcomes-world.js';
import type { OutcomesWorld, Receiver } from './outcomes-world.js';

describe('outcome callbacks (issue 15)', () => {
  let world: OutcomesWorld | undefined;
  let receiver: Receiver | undefined;
  afterEach(async () => {
    await world?.close();
    await receiver?.close();
    world = undefined;
    receiver = undefined;
  });

  it('a receiver answering 500, 500, then 200 gets each outcome exactly once, signed, with one webhook-id', async () => {
    const secret = newSecret();
    receiver = await startReceiver();
    receiver.answers.set('/hook', [{ status: 500 }, { status: 500 }, { status: 200 }]);
    world = await createOutcomesWorld({ secret });
    const { h } = world;
    const [stream] = await h.admin.seed({ appId: APP_ID, region: 'na', count: 1 });
    if (stream === undefined) throw new Error('seed');
    const { jobId } = await h.producer.enqueue({
      region: 'na',
      sid: stream.sid,
      streamKey: stream.streamKey,
      requestedBy: 'alice',
      callbackUrl: receiver.url('/hook'),
    });
    await waitForFinished(h.queue, 1);
    const r = receiver;
    await waitFor(() => r.received.some((x) => x.answered === 200), { what: 'a 200 delivery' });
    // Give a wrongly scheduled extra delivery time to show up.
    await new Promise((resolve) => setTimeout(resolve, 500));

    expect(await (await h.queue.getJob(jobId))?.getState()).toBe('completed');
    expect(r.received.map((x) => x.answered)).toEqual([500, 500, 200]);
    const ids = new Set(r.received.map((x) => x.headers['webhook-id']));
    expect(ids.size).toBe(1);
    for (const x of r.received) {
      expect(signatureIsValid(secret, x.headers, x.body)).toBe(true);
      // A signature made with another secret does not verify: the check is not vacuous.
      expect(signatureIsValid(newSecret(), x.headers, x.body)).toBe(false);
      expect(x.headers['content-type']).toBe('application/json');
    }
    const delivered = r.received.filter((x) => x.answered === 200);
    expect(delivered).toHaveLength(1);
    const event = JSON.parse(delivered[0]?.body ?? '{}') as {
      type: string;
      data: Record<string, unknown>;
    };
    expect(event.type).toBe('takedown.completed');
    expect(event.data).toMatchObject({
      jobId,
      outcome: 'taken-down',
      keyRevoked: true,
      requestedBy: 'alice',
      sid: stream.sid,
    });
    // The stream key is a credential: masked, with a fingerprint.
    expect(delivered[0]?.body).not.toContain(stream.streamKey);
    expect(world.attempts).toEqual(['retry', 'retry', 'delivered']);
    expect(await world.callbackQueue.getJobCounts('completed', 'failed')).toMatchObject({
      completed: 1,
      failed: 0,
    });
  });

  it('reports a dead-lettered takedown once; the takedown never waits for the receiver', async () => {
    const secret = newSecret();
    receiver = await startReceiver();
    world = await createOutcomesWorld({ secret });
    const { h } = world;
    const [stream] = await h.admin.seed({ appId: APP_ID, region: 'na', count: 1 });
    if (stream === undefined) throw new Error('seed');
    await h.admin.setFaults({
      rules: [
        { op: 'delete-key', streamKey: stream.streamKey, status: 403, message: 'Forbidden.' },
      ],
    });
    const { jobId } = await h.producer.enqueue({
      region: 'na',
      sid: stream.sid,
      streamKey: stream.streamKey,
      callbackUrl: receiver.url('/dlq'),
    });
    await waitForFinished(h.queue, 1);
    const r = receiver;
    await waitFor(() => r.received.length >= 1, { what: 'the dead-letter callback' });
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(r.received).toHaveLength(1);
    const event = JSON.parse(r.received[0]?.body ?? '{}') as { type: string; data: unknown };
    expect(event).toMatchObject({
      type: 'takedown.dead-lettered',
      data: { jobId, outcome: 'dead-lettered', failedStep: 'revoke-key', error: { status: 403 } },
    });
    expect(signatureIsValid(secret, r.received[0]?.headers ?? {}, r.received[0]?.body ?? '')).toBe(
      true,
    );
  });

  it('a receiver that keeps failing: the takedown completes, the callback is given up on and listed', async () => {
    receiver = await startReceiver();
    receiver.answers.set('/down', [{ status: 502 }]);
    world = await createOutcomesWorld({ secret: newSecret() });
    const { h } = world;
    const [stream] = await h.admin.seed({ appId: APP_ID, region: 'na', count: 1 });
    if (stream === undefined) throw new Error('seed');
    const { jobId } = await h.producer.enqueue({
      region: 'na',
      sid: stream.sid,
      callbackUrl: receiver.url('/down?token=s3cr3t-query'),
    });
    await waitForFinished(h.queue, 1);
    expect(await (await h.queue.getJob(jobId))?.getState()).toBe('completed');
    const q = world.callbackQueue;
    await waitFor(async () => (await q.getJobCounts('failed'))['failed'] === 1, {
      what: 'the callback to give up',
    });
    expect(receiver.received).toHaveLength(3);
    const failed = await listCallbacks(q, { failedOnly: true });
    expect(failed).toEqual([
      expect.objectContaining({
        jobId,
        type: 'takedown.completed',
        state: 'failed',
        attempts: 3,
        url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/down\?…$/) as string,
        lastError: 'the receiver answered 502; gave up after 3 attempts',
      }),
    ]);
    expect(JSON.stringify(failed)).not.toContain('s3cr3t-query');
    expect(world.attempts).toEqual(['retry', 'retry', 'failed']);
  });

  it("honours the receiver's Retry-After on 503, and a 410 disables the URL for later callbacks", async () => {
    receiver = await startReceiver();
    receiver.answers.set('/slow', [
      { status: 503, headers: { 'retry-after': '1' } },
      { status: 200 },
    ]);
    receiver.answers.set('/gone', [{ status: 410 }]);
    // Schedule 50 ms then 5 s: the receiver's 1 s Retry-After (below the 5 s cap) must win.
    world = await createOutcomesWorld({ secret: newSecret(), retrySchedule: [0, 50, 5000] });
    const { h } = world;
    const streams = await h.admin.seed({ appId: APP_ID, region: 'na', count: 3 });
    const [a, b, c] = streams;
    if (a === undefined || b === undefined || c === undefined) throw new Error('seed');
    await h.producer.enqueue({ region: 'na', sid: a.sid, callbackUrl: receiver.url('/slow') });
    await h.producer.enqueue({ region: 'na', sid: b.sid, callbackUrl: receiver.url('/gone') });
    await waitForFinished(h.queue, 2);
    const r = receiver;
    await waitFor(() => r.received.filter((x) => x.path === '/slow').length === 2, {
      what: 'the retried delivery',
    });
    const slow = r.received.filter((x) => x.path === '/slow');
    expect((slow[1]?.at ?? 0) - (slow[0]?.at ?? 0)).toBeGreaterThanOrEqual(900);

    await waitFor(() => world?.attempts.includes('disabled'), { what: 'the 410' });
    await h.producer.enqueue({ region: 'na', sid: c.sid, callbackUrl: receiver.url('/gone') });
    await waitForFinished(h.queue, 3);
    const q = world.callbackQueue;
    await waitFor(async () => (await q.getJobCounts('failed'))['failed'] === 2, {
      what: 'both callbacks to /gone to fail',
    });
    expect(r.received.filter((x) => x.path === '/gone')).toHaveLength(1);
    const failed = await listCallbacks(q, { failedOnly: true });
    expect(failed.map((f) => f.lastError).sort()).toEqual([
      'the receiver answered 410 Gone earlier: this URL is disabled',
      'the receiver answered 410 Gone: this URL is now disabled',
    ]);
  });

  it('never prints CALLBACK_SECRET, at any log level', async () => {
    const secret = newSecret();
    receiver = await startReceiver();
    receiver.answers.set('/hook', [{ status: 500 }, { status: 200 }]);
    world = await createOutcomesWorld({ secret });
    const { h } = world;
    const [stream] = await h.admin.seed({ appId: APP_ID, region: 'na', count: 1 });
    if (stream === undefined) throw new Error('seed');
    await h.producer.enqueue({ region: 'na', sid: stream.sid, callbackUrl: receiver.url('/hook') });
    const r = receiver;
    await waitFor(() => r.received.some((x) => x.answered === 200), { what: 'delivery' });
    const w = world;
    await waitFor(() => w.logText().includes('callback delivered'), { what: 'the log line' });
    const text = world.logText();
    expect(text).not.toContain(secret);
    expect(text).not.toContain(secret.slice('whsec_'.length));
    expect(JSON.stringify(await world.callbackQueue.getJobs(['completed']))).not.toContain(
      secret.slice('whsec_'.length, 20),
    );
  });

  it('without CALLBACK_SECRET nothing is sent and the callback is listed as failed', async () => {
    receiver = await startReceiver();
    world = await createOutcomesWorld({ secret: undefined });
    const { h } = world;
    const [stream] = await h.admin.seed({ appId: APP_ID, region: 'na', count: 1 });
    if (stream === undefined) throw new Error('seed');
    await h.producer.enqueue({ region: 'na', sid: stream.sid, callbackUrl: receiver.url() });
    const q = world.callbackQueue;
    await waitFor(async () => (await q.getJobCounts('failed'))['failed'] === 1, {
      what: 'the unsigned callback to fail',
    });
    expect(receiver.received).toHaveLength(0);
    const [entry] = await listCallbacks(q, { failedOnly: true });
    expect(entry?.lastError).toMatch(/CALLBACK_SECRET is not set/);
  });
});
