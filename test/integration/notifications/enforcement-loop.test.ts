import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { createAgoraClient } from '../../../src/agora/index.js';
import { removePrefixKeys } from '../../../src/demo/remove-prefix-keys.js';
import { takedownJobId } from '../../../src/jobs/index.js';
import { ENFORCEMENT_QUEUE } from '../../../src/notifications/index.js';
import { parsePrometheusText } from '../../support/parse-prometheus-text.js';
import { mediaGatewayEvent, postSigned } from '../../support/ncs.js';
import { waitFor } from '../../support/wait-for.js';
import { run } from '../../unit/cli/commands/run-cli.js';
import { APP_ID, CUSTOMER_ID, CUSTOMER_SECRET, createOpsWorld } from '../ops/ops-harness.js';
import type { InProcessWorker, OpsWorld } from '../ops/ops-harness.js';

const NCS_SECRET = 'ncs-secret-Qw7Er9Ty2Ui4Op';
const TOKEN = 'enforce-intake-token-Zx8Cv6Bn4';

interface Loop {
  world: OpsWorld;
  worker: InProcessWorker;
  ncsUrl: string;
  redisUrl: string;
}

const opened: Loop[] = [];
afterEach(async () => {
  for (const loop of opened.splice(0)) {
    await loop.world.close();
    await removePrefixKeys(loop.redisUrl, loop.world.prefix);
  }
});

/** A world whose worker serves the notifications intake, and a simulator posting to it. */
async function startLoop(
  notifier: Record<string, unknown> = {},
  ncsUrlOverride?: (url: string) => string,
): Promise<Loop> {
  const world = await createOpsWorld();
  const worker = await world.startWorker({ NCS_SECRET, INTAKE_TOKENS: TOKEN });
  const intake = `${worker.opsUrl}/v1/agora/notifications`;
  const ncsUrl = ncsUrlOverride === undefined ? intake : ncsUrlOverride(intake);
  await world.admin.setNotifications({ url: ncsUrl, secret: NCS_SECRET, ...notifier });
  const loop = { world, worker, ncsUrl: intake, redisUrl: world.env().REDIS_URL as string };
  opened.push(loop);
  return loop;
}

async function api(
  loop: Loop,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; json: Record<string, unknown> }> {
  const init: RequestInit = { method, headers: { authorization: `Bearer ${TOKEN}` } };
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers = { ...init.headers, 'content-type': 'application/json' };
  }
  const res = await fetch(`${loop.worker.opsUrl}${path}`, init);
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

async function metric(
  loop: Loop,
  name: string,
  labels: Record<string, string> = {},
): Promise<number> {
  const text = await (await fetch(`${loop.worker.opsUrl}/metrics`)).text();
  const samples = [...parsePrometheusText(text).values()]
    .flatMap((family) => family.samples)
    .filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  return samples.reduce((sum, s) => sum + s.value, 0);
}

/** Waits for a rule's sweep of what was live when it was added, so later pushes are events. */
async function sweepDone(loop: Loop, ruleId: string): Promise<void> {
  const q = new Queue(ENFORCEMENT_QUEUE, {
    connection: { url: loop.redisUrl },
    prefix: loop.world.prefix,
  });
  try {
    await waitFor(async () => (await q.getJobState(`sweep-${ruleId}`)) === 'completed', {
      what: `the sweep of rule ${ruleId}`,
    });
  } finally {
    await q.close();
  }
}

function agora(loop: Loop) {
  return createAgoraClient({
    baseUrl: loop.world.sim.url,
    auth: { scheme: 'basic', customerId: CUSTOMER_ID, customerSecret: CUSTOMER_SECRET },
    timeoutMs: 5000,
  });
}

async function newKey(loop: Loop, channel: string, uid: string): Promise<string> {
  const client = agora(loop);
  try {
    const { key } = await client.createStreamKey({
      region: 'na',
      appId: APP_ID,
      channel,
      uid,
      expiresAfter: 0,
    });
    return key.streamKey;
  } finally {
    await client.close();
  }
}

async function liveSids(
  loop: Loop,
  filter: { channel?: string; streamKey?: string },
): Promise<string[]> {
  return (await loop.world.admin.streams({ appId: APP_ID, ...filter })).map((s) => s.sid);
}

describe('closed-loop enforcement over HTTP (simulator → notifications intake → worker → simulator)', () => {
  it('a push that starts after a uid rule is cut, and so is the same user again with a new key', async () => {
    const loop = await startLoop();
    const added = await api(loop, 'POST', '/v1/rules', {
      uid: '777',
      durationS: 3600,
      reason: 'repeat violation',
    });
    expect(added.status, JSON.stringify(added.json)).toBe(201);
    const ruleId = (added.json['rule'] as { id: string }).id;
    expect(added.json['batchId']).toMatch(/^b-/);
    await sweepDone(loop, ruleId);

    for (const round of [1, 2]) {
      const key = await newKey(loop, `room-${round}`, '777');
      const sid = await loop.world.admin.startEncoder({
        appId: APP_ID,
        region: 'na',
        streamKey: key,
      });
      // The connected event (key masked) matches the rule; the worker revokes the key and cuts the SID.
      await waitFor(async () => (await liveSids(loop, { streamKey: key })).length === 0, {
        timeoutMs: 15_000,
        what: `round ${round}: the push of uid 777 is cut`,
      });
      const keys = await loop.world.admin.keys({ appId: APP_ID });
      expect(keys.find((k) => k.streamKey === key)?.revoked).toBe(true);
      const status = await api(
        loop,
        'GET',
        `/v1/takedowns/${takedownJobId({ appId: APP_ID, sid })}`,
      );
      expect(status.json['payload']).toMatchObject({ ruleId, priority: 'urgent', sid });
      expect(String((status.json['payload'] as { reason: string }).reason)).toContain(ruleId);
      // Agora's end-of-push event is recorded on the takedown that cut it.
      await waitFor(
        async () => {
          const s = await api(
            loop,
            'GET',
            `/v1/takedowns/${takedownJobId({ appId: APP_ID, sid })}`,
          );
          return typeof s.json['confirmedAt'] === 'string' ? s.json : undefined;
        },
        { timeoutMs: 15_000, what: `round ${round}: confirmation recorded` },
      ).then((s) => {
        // The disconnect of the cut SID, or the refused reconnect on the revoked key (errorCode 2),
        // whichever reached the takedown first.
        expect(s['confirmation']).toSatisfy(
          (c: { event: string; sid: string; errorCode?: number }) =>
            (c.event === 'live_stream_disconnected' && c.sid === sid) ||
            (c.event === 'live_stream_aborted' && c.errorCode === 2),
        );
      });
    }
    expect(
      await metric(loop, 'takedown_rule_matches_total', { target: 'uid', source: 'event' }),
    ).toBe(2);
    expect(
      await metric(loop, 'takedown_notifications_total', {
        event: 'live_stream_connected',
        result: 'rule-match',
      }),
    ).toBe(2);
    expect(await metric(loop, 'takedown_enforcement_cut_seconds_count')).toBe(2);
  });

  it('a rule added while the user is live sweeps what is live now as one batch (CLI)', async () => {
    const loop = await startLoop();
    const seeded = await loop.world.admin.seed({
      appId: APP_ID,
      region: 'na',
      count: 2,
      channel: 'studio',
    });
    await loop.world.admin.seed({ appId: APP_ID, region: 'na', count: 1, channel: 'elsewhere' });
    const env = { ...loop.world.env(), LOG_LEVEL: 'warn' };
    const added = await run(
      ['rule', 'add', '--channel', 'studio', '--for', '2h', '--reason', 'closed channel', '--json'],
      env,
    );
    expect(added.code, added.stderr).toBe(0);
    const { rule, batchId } = JSON.parse(added.stdout) as {
      rule: { id: string; channel: string };
      batchId: string;
    };
    expect(rule.channel).toBe('studio');

    await waitFor(async () => (await liveSids(loop, { channel: 'studio' })).length === 0, {
      timeoutMs: 15_000,
      what: 'the live pushes in studio are cut',
    });
    expect(await liveSids(loop, { channel: 'elsewhere' })).toHaveLength(1);
    const batch = await waitFor(
      async () => {
        const b = await api(loop, 'GET', `/v1/batches/${batchId}`);
        return (b.json['counts'] as { completed?: number } | undefined)?.completed === 2
          ? b.json
          : undefined;
      },
      { timeoutMs: 15_000, what: 'the sweep batch completes' },
    );
    expect(batch['total']).toBe(2);
    for (const s of seeded) {
      expect(
        (await loop.world.admin.keys()).find((k) => k.streamKey === s.streamKey)?.revoked,
      ).toBe(true);
    }
    expect(
      await metric(loop, 'takedown_rule_matches_total', { target: 'channel', source: 'sweep' }),
    ).toBe(2);

    const listed = await run(['rule', 'list'], env);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toContain(rule.id);
    const removed = await run(['rule', 'remove', rule.id], env);
    expect(removed.code, removed.stderr).toBe(0);
    const again = await run(['rule', 'remove', rule.id], env);
    expect(again.code).toBe(1);
    expect(JSON.parse((await run(['rule', 'list', '--json'], env)).stdout)).toEqual({ rules: [] });
  });

  it('a rule expires on its own: a push after its end is left alone', async () => {
    const loop = await startLoop();
    const added = await api(loop, 'POST', '/v1/rules', {
      channel: 'brief',
      durationS: 1,
      reason: 'one second',
    });
    expect(added.status).toBe(201);
    await waitFor(
      async () => ((await api(loop, 'GET', '/v1/rules')).json['rules'] as unknown[]).length === 0,
      {
        timeoutMs: 5000,
        what: 'the rule to expire',
      },
    );
    const key = await newKey(loop, 'brief', '5');
    await loop.world.admin.startEncoder({ appId: APP_ID, region: 'na', streamKey: key });
    await waitFor(
      async () =>
        (await metric(loop, 'takedown_notifications_total', {
          event: 'live_stream_connected',
          result: 'no-match',
        })) === 1,
      { timeoutMs: 10_000, what: 'the connected event to be processed' },
    );
    expect(await liveSids(loop, { streamKey: key })).toHaveLength(1);
  });

  it('duplicates and retried deliveries are acted on once', async () => {
    // Between the simulator and the intake: the first delivery of every notice answers 500.
    const seen = new Set<string>();
    let intake = '';
    const proxy = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        const { noticeId } = JSON.parse(body.toString()) as { noticeId: string };
        if (!seen.has(noticeId)) {
          seen.add(noticeId);
          res.writeHead(500).end('{}');
          return;
        }
        void fetch(intake, {
          method: 'POST',
          headers: req.headers as Record<string, string>,
          body,
        }).then(
          async (answer) => {
            res
              .writeHead(answer.status, { 'content-type': 'application/json' })
              .end(await answer.text());
          },
          () => res.writeHead(502).end(),
        );
      });
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    try {
      const loop = await startLoop({ duplicateRate: 1 }, (url) => {
        intake = url;
        return `http://127.0.0.1:${(proxy.address() as AddressInfo).port}/`;
      });
      const added = await api(loop, 'POST', '/v1/rules', {
        channel: 'dup',
        forever: true,
        reason: 'dup test',
      });
      await sweepDone(loop, (added.json['rule'] as { id: string }).id);
      const key = await newKey(loop, 'dup', '9');
      await loop.world.admin.startEncoder({ appId: APP_ID, region: 'na', streamKey: key });
      await waitFor(async () => (await liveSids(loop, { streamKey: key })).length === 0, {
        timeoutMs: 15_000,
        what: 'the push to be cut',
      });
      const view = await waitFor(
        async () => {
          const v = await loop.world.admin.notifications();
          return v.stats.pending === 0 && v.stats.events >= 2 ? v : undefined;
        },
        { timeoutMs: 10_000, what: 'all deliveries to settle' },
      );
      expect(view.stats.retries).toBeGreaterThanOrEqual(view.stats.events);
      expect(view.stats.duplicates).toBe(view.stats.events);
      expect(view.stats.failed).toBe(0);
      expect(
        await metric(loop, 'takedown_notifications_total', {
          event: 'live_stream_connected',
          result: 'rule-match',
        }),
      ).toBe(1);
      expect(
        await metric(loop, 'takedown_notifications_total', { result: 'duplicate' }),
      ).toBeGreaterThanOrEqual(1);
      expect(await metric(loop, 'takedown_rule_matches_total', { source: 'event' })).toBe(1);
    } finally {
      proxy.closeAllConnections();
      await new Promise<void>((resolve) => proxy.close(() => resolve()));
    }
  });

  it('a disconnect that arrives before its connect: the late connect enforces nothing', async () => {
    const loop = await startLoop();
    await api(loop, 'POST', '/v1/rules', { channel: 'late', forever: true, reason: 'late' });
    const sid = 'late-session-1';
    const ended = await postSigned(
      loop.ncsUrl,
      mediaGatewayEvent(2, { sid, channel: 'late' }),
      NCS_SECRET,
    );
    expect(ended).toMatchObject({ status: 200, json: { status: 'accepted' } });
    const connected = await postSigned(
      loop.ncsUrl,
      mediaGatewayEvent(1, { sid, channel: 'late' }),
      NCS_SECRET,
    );
    expect(connected.status).toBe(200);
    await waitFor(
      async () =>
        (await metric(loop, 'takedown_notifications_total', {
          event: 'live_stream_connected',
          result: 'stale',
        })) === 1,
      { timeoutMs: 10_000, what: 'the late connect to be seen as stale' },
    );
    expect(await loop.world.queue.getJob(takedownJobId({ appId: APP_ID, sid }))).toBeUndefined();
  });

  it('a connect for a key a completed takedown revoked is a breach: counted and cut again', async () => {
    const loop = await startLoop();
    const [stream] = await loop.world.admin.seed({ appId: APP_ID, region: 'na', count: 1 });
    if (stream === undefined) throw new Error('seed failed');
    const first = await loop.world.producer.enqueue({
      region: 'na',
      sid: stream.sid,
      streamKey: stream.streamKey,
    });
    await waitFor(async () => (await loop.world.queue.getJobState(first.jobId)) === 'completed', {
      timeoutMs: 15_000,
      what: 'the first takedown',
    });
    // Agora says the revoked key is pushing again (it should be impossible): unmasked key, new SID.
    const sid = 'breach-session-1';
    await waitFor(
      async () => {
        // The completion index is written just after the job completes.
        const r = await postSigned(
          loop.ncsUrl,
          mediaGatewayEvent(1, { sid, streamKey: stream.streamKey }),
          NCS_SECRET,
        );
        expect(r.status).toBe(200);
        return (await metric(loop, 'takedown_enforcement_breaches_total')) === 1;
      },
      { timeoutMs: 10_000, intervalMs: 300, what: 'the breach to be counted' },
    );
    const job = await waitFor(
      () => loop.world.queue.getJob(takedownJobId({ appId: APP_ID, sid })),
      {
        what: 'the breach takedown',
      },
    );
    expect(job.data.payload).toMatchObject({
      priority: 'urgent',
      requestedBy: 'enforcement:breach',
    });
  });

  it('forged, missing and malformed signatures get 401 with nothing recorded; bad bodies get 400 naming the field', async () => {
    const loop = await startLoop();
    const body = JSON.stringify(mediaGatewayEvent(1, { sid: 'forged-1', channel: 'x' }));
    const post = (headers: Record<string, string>, raw = body) =>
      fetch(loop.ncsUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: raw,
      });
    expect((await post({})).status).toBe(401);
    expect((await post({ 'agora-signature-v2': 'f'.repeat(64) })).status).toBe(401);
    expect((await post({ 'agora-signature-v2': 'not-hex' })).status).toBe(401);
    expect((await post({ 'agora-signature': 'a'.repeat(40) })).status).toBe(401);
    const forged = await postSigned(loop.ncsUrl, body, 'not-the-secret');
    expect(forged.status).toBe(401);
    expect(JSON.stringify(forged.json)).not.toContain(NCS_SECRET);
    expect((await fetch(loop.ncsUrl, { method: 'POST' })).status).toBe(401);

    const badJson = await postSigned(loop.ncsUrl, '{"noticeId":', NCS_SECRET);
    expect(badJson.status).toBe(400);
    const badField = await postSigned(
      loop.ncsUrl,
      mediaGatewayEvent(1, { sid: '../../x' }),
      NCS_SECRET,
    );
    expect(badField.status).toBe(400);
    expect(badField.json).toMatchObject({ fieldErrors: [{ field: 'payload.sid' }] });
    const big = await postSigned(
      loop.ncsUrl,
      { ...mediaGatewayEvent(1, { sid: 's' }), pad: 'x'.repeat(70_000) },
      NCS_SECRET,
    );
    expect(big.status).toBe(413);
    const other = await postSigned(
      loop.ncsUrl,
      { ...mediaGatewayEvent(1, { sid: 's' }), productId: 1 },
      NCS_SECRET,
    );
    expect(other).toMatchObject({ status: 200, json: { status: 'ignored' } });
    const unknown = await postSigned(
      loop.ncsUrl,
      { ...mediaGatewayEvent(1, { sid: 's' }), eventType: 42 },
      NCS_SECRET,
    );
    expect(unknown).toMatchObject({ status: 200, json: { status: 'ignored' } });

    const q = new Queue(ENFORCEMENT_QUEUE, {
      connection: { url: loop.redisUrl },
      prefix: loop.world.prefix,
    });
    const redis = new Redis(loop.redisUrl);
    try {
      expect(await q.count()).toBe(0);
      expect(await redis.keys(`${loop.world.prefix}:ncs-seen:*`)).toEqual([]);
    } finally {
      await q.close();
      redis.disconnect();
    }
    expect(await metric(loop, 'takedown_notifications_total', { result: 'unauthorized' })).toBe(6);
    expect(
      await metric(loop, 'takedown_notifications_total', { event: 'unknown', result: 'ignored' }),
    ).toBe(1);
    expect(
      await metric(loop, 'takedown_notifications_total', {
        event: 'other-product',
        result: 'ignored',
      }),
    ).toBe(1);

    // Hostile rule bodies: 400 naming the field, nothing stored.
    for (const [rule, field] of [
      [{ channel: 'a\u0000b', forever: true, reason: 'x' }, 'channel'],
      [{ uid: '1', durationS: -5, reason: 'x' }, 'durationS'],
      [{ streamKey: 'k/../../', forever: true, reason: 'x' }, 'streamKey'],
      [{ channel: 'c', forever: true }, 'reason'],
      [{ channel: 'c', forever: true, reason: 'x', __proto__x: 1 }, '__proto__x'],
    ] as const) {
      const r = await api(loop, 'POST', '/v1/rules', rule);
      expect(r.status, JSON.stringify(r.json)).toBe(400);
      expect((r.json['fieldErrors'] as { field: string }[]).map((e) => e.field)).toContain(field);
    }
    expect((await api(loop, 'DELETE', '/v1/rules/not-a-rule-id')).status).toBe(400);
    expect((await api(loop, 'GET', '/v1/rules')).json).toEqual({ rules: [] });
    const noAuth = await fetch(`${loop.worker.opsUrl}/v1/rules`);
    expect(noAuth.status).toBe(401);

    // NCS_SECRET is never printed: not in the worker's log, not by the simulator's admin API.
    const logs = JSON.stringify(loop.worker.logs);
    expect(logs).not.toContain(NCS_SECRET);
    expect(JSON.stringify(await loop.world.admin.notifications())).not.toContain(NCS_SECRET);
  });
});
