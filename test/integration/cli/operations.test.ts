import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { expiryJobId, maskStreamKey, takedownJobId } from '../../../src/jobs/index.js';
import type { DeadLetterEntry } from '../../../src/jobs/index.js';
import { createSimulator, createSimulatorAdmin } from '../../../src/simulator/index.js';
import type { Simulator, SimulatorAdmin } from '../../../src/simulator/index.js';
import { APP_ID, createHarness, deadLetterFor } from '../producer/producer-harness.js';
import type { ProducerHarness } from '../producer/producer-harness.js';
import { jsonOf, runTakedown } from './run-takedown.js';

let h: ProducerHarness;
let env: Record<string, string>;
beforeEach(async () => {
  h = await createHarness('cli-ops');
  env = { REDIS_URL: h.url, TAKEDOWN_PREFIX: h.prefix, AGORA_APP_ID: APP_ID };
});
afterEach(async () => {
  await h.close();
});

describe('takedown expire (built binary, real Redis)', () => {
  it('schedules, moves, lists and cancels the takedown of a key', async () => {
    const jobId = expiryJobId({ appId: APP_ID, streamKey: 'exp-key-1' });
    const before = Date.now();
    const first = await runTakedown(
      ['expire', '--region', 'na', '--key', 'exp-key-1', '--in', '1h', '--json'],
      { env },
    );
    expect(first.code, first.stderr).toBe(0);
    const scheduled = jsonOf<{ jobId: string; status: string; dueAt: string }>(first);
    expect(scheduled).toMatchObject({ jobId, status: 'scheduled', streamKey: 'exp-key-1' });
    // --in counts from when the command runs.
    const due = Date.parse(scheduled.dueAt);
    expect(due).toBeGreaterThanOrEqual(before + 3_600_000);
    expect(due).toBeLessThanOrEqual(Date.now() + 3_600_000);

    const at = new Date(Date.now() + 2 * 3_600_000);
    at.setUTCMilliseconds(0);
    const moved = await runTakedown(
      ['expire', '--region', 'na', '--key', 'exp-key-1', '--at', at.toISOString(), '--json'],
      { env },
    );
    expect(moved.code, moved.stderr).toBe(0);
    expect(jsonOf(moved)).toMatchObject({ jobId, status: 'rescheduled', dueAt: at.toISOString() });

    const [listJson, listHuman] = await Promise.all([
      runTakedown(['expire', '--list', '--json'], { env }),
      runTakedown(['expire', '--list'], { env }),
    ]);
    const entries = jsonOf<Record<string, unknown>[]>(listJson);
    expect(entries).toHaveLength(1);
    // A listing is not given the key: it is masked (short keys show nothing of themselves).
    expect(entries[0]).toMatchObject({
      streamKey: '…',
      region: 'na',
      appId: APP_ID,
      jobId,
    });
    expect(Math.abs(Date.parse(entries[0]?.['dueAt'] as string) - at.getTime())).toBeLessThan(1000);
    expect(listHuman.stdout).toMatch(/…\s+na\s+/);
    expect(listHuman.stdout).not.toContain('exp-key-1');
    expect(listJson.stdout).not.toContain('exp-key-1');

    const cancel = await runTakedown(['expire', '--cancel', '--key', 'exp-key-1'], { env });
    expect(cancel.code, cancel.stderr).toBe(0);
    expect(cancel.stdout).toMatch(/cancelled/);
    const [again, empty] = await Promise.all([
      runTakedown(['expire', '--cancel', '--key', 'exp-key-1', '--json'], { env }),
      runTakedown(['expire', '--list', '--json'], { env }),
    ]);
    expect(again.code).toBe(1);
    expect(jsonOf(again)).toMatchObject({ jobId, status: 'not-found' });
    expect(jsonOf(empty)).toEqual([]);
    expect(await h.queue.getJob(jobId)).toBeUndefined();
  });
});

/** A stored payload as the producer writes it. */
function payload(sid: string): Record<string, unknown> {
  return {
    v: 1,
    region: 'na',
    appId: APP_ID,
    sid,
    priority: 'normal',
    requestedAt: new Date().toISOString(),
  };
}

describe('takedown dlq and status (built binary, real Redis)', () => {
  it('lists, shows, redrives and purges dead-lettered takedowns; status follows', async () => {
    const old = takedownJobId({ appId: APP_ID, sid: 'dlq-old' });
    const recent = takedownJobId({ appId: APP_ID, sid: 'dlq-recent' });
    const entries: DeadLetterEntry[] = [
      deadLetterFor(old, payload('dlq-old'), {
        sid: 'dlq-old',
        failedAt: '2026-01-01T10:00:00.000Z',
      }),
      deadLetterFor(recent, payload('dlq-recent'), {
        sid: 'dlq-recent',
        failedStep: 'revoke-key',
        reason: 'permanent',
        attempts: 1,
        error: { name: 'AgoraHttpError', status: 403, message: 'Forbidden', requestId: 'req-9' },
        failedAt: '2026-01-02T10:00:00.000Z',
      }),
    ];
    for (const entry of entries) await h.addDeadLetter(entry);

    const [listJson, listHuman, show, showMissing, status] = await Promise.all([
      runTakedown(['dlq', 'list', '--json'], { env }),
      runTakedown(['dlq', 'list'], { env }),
      runTakedown(['dlq', 'show', recent, '--json'], { env }),
      runTakedown(['dlq', 'show', 'sid-nope-nope'], { env }),
      runTakedown(['status', recent, '--json'], { env }),
    ]);
    expect(listJson.code, listJson.stderr).toBe(0);
    const listed = jsonOf<Record<string, unknown>[]>(listJson);
    expect(listed.map((e) => e['jobId'])).toEqual([recent, old]); // newest failure first
    expect(listed[0]).toMatchObject({
      jobId: recent,
      sid: 'dlq-recent',
      failedStep: 'revoke-key',
      attempts: 1,
      error: { name: 'AgoraHttpError', status: 403, message: 'Forbidden', requestId: 'req-9' },
      failedAt: '2026-01-02T10:00:00.000Z',
    });
    expect(listHuman.stdout).toMatch(
      /JOB ID\s+SID \/ KEY\s+FAILED STEP\s+STATUS\s+MESSAGE\s+ATTEMPTS/,
    );
    expect(listHuman.stdout).toMatch(
      new RegExp(`${recent}\\s+sid dlq-recent\\s+revoke-key\\s+403\\s+Forbidden\\s+1`),
    );
    expect(show.code).toBe(0);
    expect(jsonOf(show)).toEqual(entries[1]);
    expect(showMissing.code).toBe(1);
    expect(showMissing.stderr).toMatch(/sid-nope-nope: not in the dead-letter queue/);
    expect(status.code, status.stderr).toBe(0);
    expect(jsonOf(status)).toMatchObject({
      jobId: recent,
      state: 'dead-lettered',
      step: 'revoke-key',
      lastError: { status: 403, message: 'Forbidden' },
    });

    // Redrive one known and one unknown id: the unknown one is reported, the other still done.
    const redrive = await runTakedown(['dlq', 'redrive', recent, 'sid-nope-nope', '--json'], {
      env,
    });
    expect(redrive.code).toBe(1);
    expect(jsonOf(redrive)).toMatchObject({
      counts: { redriven: 1, 'not-found': 1 },
      results: [
        { jobId: recent, status: 'redriven' },
        { jobId: 'sid-nope-nope', status: 'not-found' },
      ],
    });
    const [afterRedrive, bySid] = await Promise.all([
      runTakedown(['status', recent, '--json'], { env }),
      runTakedown(['status', '--sid', 'dlq-recent'], { env }),
    ]);
    expect(jsonOf(afterRedrive)).toMatchObject({ jobId: recent, state: 'waiting', attempts: 0 });
    expect(bySid.stdout).toMatch(new RegExp(`^takedown ${recent}\\n\\s+state\\s+waiting`));

    const purge = await runTakedown(['dlq', 'purge', '--all'], { env });
    expect(purge.code, purge.stderr).toBe(0);
    expect(purge.stdout).toBe(`purged ${old}\n`);
    const [empty, gone] = await Promise.all([
      runTakedown(['dlq', 'list', '--json'], { env }),
      runTakedown(['status', old], { env }),
    ]);
    expect(jsonOf(empty)).toEqual([]);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toMatch(new RegExp(`no such job ${old}`));
  });

  it('stats counts both queues, scheduled expiries and limiter state', async () => {
    const producer = await h.producer();
    await producer.enqueue({ region: 'na', sid: 'stats-1' });
    await producer.scheduleExpiry(
      { region: 'eu', streamKey: 'stats-key' },
      new Date(Date.now() + 60_000),
    );
    await h.addDeadLetter(deadLetterFor('sid-x-stats', payload('stats-dead')));
    await h.redis.set(`${h.prefix}:ratelimit:${APP_ID}:delete`, String(Date.now() + 120_000));

    const [json, human] = await Promise.all([
      runTakedown(['stats', '--json'], { env }),
      runTakedown(['stats'], { env }),
    ]);
    expect(json.code, json.stderr).toBe(0);
    const stats = jsonOf<{
      queues: Record<string, Record<string, number>>;
      scheduledExpiries: number;
      limiter: { appId: string; cls: string; backlogMs: number }[];
    }>(json);
    // A normal-priority takedown waits in BullMQ's prioritized set.
    expect(stats.queues['takedown']).toMatchObject({ waiting: 0, prioritized: 1, delayed: 1 });
    expect(Object.values(stats.queues['takedown-dlq'] ?? {}).reduce((a, b) => a + b, 0)).toBe(1);
    expect(stats.scheduledExpiries).toBe(1);
    expect(stats.limiter).toEqual([
      { appId: APP_ID, cls: 'delete', backlogMs: expect.any(Number) as number },
    ]);
    expect(human.stdout).toMatch(/^takedown\s+0\s+1\s+1\s+0\s+0\s+0$/m);
    expect(human.stdout).toMatch(/scheduled expiries: 1/);
    expect(human.stdout).toMatch(new RegExp(`${APP_ID}\\s+delete\\s+\\d+ ms`));
  });
});

describe('takedown channel (built binary, real Redis, simulator)', () => {
  const CUSTOMER_ID = 'cli-customer';
  const CUSTOMER_SECRET = 'cli-secret-canary-0123456789';
  let sim: Simulator;
  let admin: SimulatorAdmin;
  beforeAll(async () => {
    sim = await createSimulator({ customerId: CUSTOMER_ID, customerSecret: CUSTOMER_SECRET });
    admin = createSimulatorAdmin(sim.url);
  });
  afterAll(async () => {
    await sim.close();
  });

  it('enqueues one takedown per live stream of the channel, as one batch; again: duplicates', async () => {
    const swept = await admin.seed({ appId: APP_ID, region: 'na', count: 3, channel: 'sweep me' });
    await admin.seed({ appId: APP_ID, region: 'na', count: 2, channel: 'leave me' });
    await admin.seed({ appId: APP_ID, region: 'eu', count: 1, channel: 'sweep me' });
    const simEnv = {
      ...env,
      AGORA_BASE_URL: sim.url,
      AGORA_CUSTOMER_ID: CUSTOMER_ID,
      AGORA_CUSTOMER_SECRET: CUSTOMER_SECRET,
    };
    const args = ['channel', '--region', 'na', '--channel', 'sweep me'];
    const run = await runTakedown([...args, '--json'], { env: simEnv });
    expect(run.code, run.stderr).toBe(0);
    const out = jsonOf<{ batchId: string; streams: number; results: Record<string, unknown>[] }>(
      run,
    );
    expect(out).toMatchObject({
      batchId: expect.stringMatching(/^b-/) as string,
      channel: 'sweep me',
      streams: 3,
    });
    expect(out.results.map((r) => r['sid']).sort()).toEqual(swept.map((s) => s.sid).sort());
    for (const stream of swept) {
      const jobId = takedownJobId({ appId: APP_ID, sid: stream.sid });
      expect(out.results).toContainEqual(
        expect.objectContaining({
          sid: stream.sid,
          // Found on Agora, not given: masked.
          streamKey: maskStreamKey(stream.streamKey),
          jobId,
          status: 'enqueued',
        }),
      );
      const job = await h.queue.getJob(jobId);
      expect(job?.data.payload).toMatchObject({
        region: 'na',
        sid: stream.sid,
        streamKey: stream.streamKey,
        channel: 'sweep me',
        batchId: out.batchId,
      });
    }
    expect(await h.queue.count()).toBe(3);

    const [again, empty, badSecret] = await Promise.all([
      runTakedown(args, { env: simEnv }),
      runTakedown(['channel', '--region', 'ap', '--channel', 'sweep me', '--json'], {
        env: simEnv,
      }),
      runTakedown(args, { env: { ...simEnv, AGORA_CUSTOMER_SECRET: 'wrong-secret-canary' } }),
    ]);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/3 live streams in channel "sweep me": 0 enqueued, 3 duplicates/);
    expect(empty.code).toBe(0);
    expect(jsonOf(empty)).toMatchObject({ batchId: null, streams: 0, results: [] });
    expect(badSecret.code).toBe(1);
    expect(badSecret.stderr).toMatch(
      /cannot list the live streams of channel "sweep me".*HTTP 401/,
    );
    expect(badSecret.stderr).not.toMatch(/canary/);
    expect(await h.queue.count()).toBe(3);
  });
});
