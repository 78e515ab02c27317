import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  AgoraHttpError,
  AgoraTimeoutError,
  InvalidArgumentError,
  createAgoraClient,
  type AgoraAuthScheme,
  type AgoraClient,
  type CallInfo,
} from '../../../src/agora/index.js';
import {
  createSimulator,
  createSimulatorAdmin,
  type Simulator,
  type SimulatorAdmin,
} from '../../../src/simulator/index.js';

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const CUSTOMER_ID = 'it-customer';
const CUSTOMER_SECRET = 'it-secret-never-printed';
const APP = 'appA0123456789';

let sim: Simulator;
let admin: SimulatorAdmin;

beforeAll(async () => {
  // Reconnects are slow here so that a disconnected stream stays gone for the assertions.
  sim = await createSimulator({
    customerId: CUSTOMER_ID,
    customerSecret: CUSTOMER_SECRET,
    reconnectDelayMs: 60_000,
  });
  admin = createSimulatorAdmin(sim.url);
});

afterAll(async () => {
  await sim.close();
});

beforeEach(async () => {
  await admin.reset({ reconnectDelayMs: 60_000 });
});

const clients: AgoraClient[] = [];
afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
});

function client(
  scheme: AgoraAuthScheme,
  extra: { secret?: string; timeoutMs?: number; onCall?: (i: CallInfo) => void } = {},
): AgoraClient {
  const c = createAgoraClient({
    baseUrl: sim.url,
    auth: { scheme, customerId: CUSTOMER_ID, customerSecret: extra.secret ?? CUSTOMER_SECRET },
    timeoutMs: extra.timeoutMs ?? 5000,
    ...(extra.onCall === undefined ? {} : { onCall: extra.onCall }),
  });
  clients.push(c);
  return c;
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
}

describe.each<AgoraAuthScheme>(['basic', 'hmac'])('every call with %s auth', (scheme) => {
  it('creates, queries, lists, queries by SID, disconnects and deletes', async () => {
    const c = client(scheme);
    const created = await c.createStreamKey({
      region: 'na',
      appId: APP,
      channel: 'room 1!',
      uid: '1001',
      expiresAfter: 0,
    });
    expect(created.key).toMatchObject({ channel: 'room 1!', uid: '1001', expiresAfter: 0 });
    const { streamKey } = created.key;
    const keyRef = { region: 'na', appId: APP, streamKey } as const;

    expect(await c.queryStreamKey(keyRef)).toMatchObject({ result: 'found', key: created.key });

    const sid = await admin.startEncoder({ appId: APP, region: 'na', streamKey, reconnect: false });
    const listed = await c.listOnlineStreams({ region: 'na', appId: APP, channel: 'room 1!' });
    expect(listed.streams).toEqual([
      expect.objectContaining({ sid, streamKey, channel: 'room 1!', uid: '1001' }),
    ]);
    const otherChannel = await c.listOnlineStreams({ region: 'na', appId: APP, channel: 'room 2' });
    expect(otherChannel.streams).toEqual([]);

    const sidRef = { region: 'na', appId: APP, sid } as const;
    expect(await c.queryOnlineStream(sidRef)).toMatchObject({
      result: 'found',
      stream: { sid, streamKey },
    });

    expect(await c.deleteStreamKey(keyRef)).toMatchObject({ result: 'deleted' });
    expect(await c.disconnectStream(sidRef)).toMatchObject({ result: 'disconnected' });
    expect(await admin.streams({ appId: APP })).toEqual([]);

    // Everything is gone now: the idempotent calls report not-found instead of throwing.
    expect(await c.deleteStreamKey(keyRef)).toMatchObject({ result: 'not-found' });
    expect(await c.disconnectStream(sidRef)).toMatchObject({ result: 'not-found' });
    expect(await c.queryStreamKey(keyRef)).toMatchObject({ result: 'not-found' });
    expect(await c.queryOnlineStream(sidRef)).toMatchObject({ result: 'not-found' });

    const log = await admin.calls();
    expect(log.map((e) => [e.op, e.status])).toEqual([
      ['create-key', 200],
      ['query-key', 200],
      ['list-streams', 200],
      ['list-streams', 200],
      ['query-stream', 200],
      ['delete-key', 200],
      ['disconnect', 200],
      ['delete-key', 404],
      ['disconnect', 404],
      ['query-key', 404],
      ['query-stream', 404],
    ]);
  });

  it('is refused with a non-retryable 401 when the secret is wrong', async () => {
    const c = client(scheme, { secret: 'wrong-secret' });
    const err = await rejection(c.deleteStreamKey({ region: 'na', appId: APP, streamKey: 'k' }));
    expect(err).toBeInstanceOf(AgoraHttpError);
    expect(err).toMatchObject({
      status: 401,
      retryable: false,
      agoraMessage: 'Invalid authentication credentials.',
    });
    // 401 carries no X-Request-ID: the error keeps the one the client sent.
    expect((err as AgoraHttpError).requestId).toMatch(UUID_RE);
    expect((err as Error).message).not.toContain('wrong-secret');
    expect((err as Error).message).not.toContain(CUSTOMER_SECRET);
  });
});

describe('query by SID response shapes', () => {
  it("accepts the simulator's object-shaped data as well as the array", async () => {
    const c = client('basic');
    const [seeded] = await admin.seed({ appId: APP, region: 'eu', count: 1 });
    if (seeded === undefined) throw new Error('seed returned nothing');
    const ref = { region: 'eu', appId: APP, sid: seeded.sid } as const;
    const asArray = await c.queryOnlineStream(ref);
    await admin.setConfig({ sidQueryShape: 'object' });
    const asObject = await c.queryOnlineStream(ref);
    expect(asArray).toMatchObject({
      result: 'found',
      stream: { sid: seeded.sid, streamKey: seeded.streamKey },
    });
    expect(asObject).toMatchObject({
      result: 'found',
      stream: { sid: seeded.sid, streamKey: seeded.streamKey },
    });
  });
});

describe('X-Request-ID', () => {
  it('sends a different UUID on every call and returns the one the simulator logged', async () => {
    const c = client('hmac');
    const ref = { region: 'ap', appId: APP, streamKey: 'missing-key' } as const;
    const results = [
      await c.queryStreamKey(ref),
      await c.deleteStreamKey(ref),
      await c.deleteStreamKey(ref),
    ];
    const log = await admin.calls();
    expect(log.map((e) => e.requestId)).toEqual(results.map((r) => r.requestId));
    for (const r of results) expect(r.requestId).toMatch(UUID_RE);
    expect(new Set(results.map((r) => r.requestId)).size).toBe(3);
  });
});

describe('retryable failures', () => {
  it('classifies 429 (rate limit) as retryable', async () => {
    await admin.setLimits({ deleteRps: 1 });
    const c = client('basic');
    const ref = { region: 'na', appId: APP, sid: 'no-such-sid' } as const;
    const outcomes = await Promise.allSettled([1, 2, 3, 4].map(() => c.disconnectStream(ref)));
    const rejected = outcomes
      .filter((o) => o.status === 'rejected')
      .map((o) => o.reason as unknown);
    expect(rejected.length).toBeGreaterThan(0);
    for (const err of rejected) {
      expect(err).toBeInstanceOf(AgoraHttpError);
      expect(err).toMatchObject({
        status: 429,
        retryable: true,
        agoraMessage: 'Request rate limit exceeded.',
      });
      expect((err as AgoraHttpError).requestId).toMatch(UUID_RE);
    }
  });

  it.each([500, 502, 503, 504, 409])('classifies an injected %i as retryable', async (status) => {
    await admin.setFaults({ rules: [{ op: 'delete-key', status, count: 1 }] });
    const c = client('hmac');
    const ref = { region: 'na', appId: APP, streamKey: 'some-key' } as const;
    const err = await rejection(c.deleteStreamKey(ref));
    expect(err).toBeInstanceOf(AgoraHttpError);
    expect(err).toMatchObject({ status, retryable: true });
    // The rule is spent: the next call goes through to the state (unknown key → not-found).
    expect(await c.deleteStreamKey(ref)).toMatchObject({ result: 'not-found' });
  });

  it('passes an injected message through and classifies 403 as not retryable', async () => {
    await admin.setFaults({
      rules: [
        { op: 'disconnect', status: 403, message: 'Media Gateway is not enabled.', count: 1 },
      ],
    });
    const err = await rejection(
      client('basic').disconnectStream({ region: 'na', appId: APP, sid: 's' }),
    );
    expect(err).toMatchObject({
      status: 403,
      retryable: false,
      agoraMessage: 'Media Gateway is not enabled.',
    });
  });

  it('classifies an outage (503) as retryable', async () => {
    await admin.setFaults({ outageMs: 60_000 });
    const err = await rejection(client('basic').listOnlineStreams({ region: 'na', appId: APP }));
    expect(err).toMatchObject({ name: 'AgoraHttpError', status: 503, retryable: true });
  });

  it('times out on a request the simulator holds, reporting status 0', async () => {
    await admin.setFaults({ timeoutRate: 1 });
    const calls: CallInfo[] = [];
    const c = client('basic', { timeoutMs: 300, onCall: (i) => calls.push(i) });
    const err = await rejection(c.queryOnlineStream({ region: 'na', appId: APP, sid: 's' }));
    expect(err).toBeInstanceOf(AgoraTimeoutError);
    expect(err).toMatchObject({ retryable: true });
    expect(calls).toEqual([expect.objectContaining({ op: 'query-stream', status: 0 })]);
    await admin.setFaults({ timeoutRate: 0 });
  });
});

describe('hostile path values', () => {
  const hostile = [
    '../../_sim/reset',
    '..',
    '.',
    '%2e%2e',
    'a%2Fb',
    'a/b',
    'a?x=1',
    'a#b',
    'a b',
    'a\tb',
    'a\r\nb',
    'a\u0000b',
    'a\u0007b',
    'k'.repeat(10_240),
    '',
    'ключ',
    '🔥',
    'a\\b',
    'a;b',
  ];

  it('never reach the simulator: the call log stays empty', async () => {
    const c = client('hmac');
    for (const value of hostile) {
      const attempts = [
        c.deleteStreamKey({ region: 'na', appId: APP, streamKey: value }),
        c.queryStreamKey({ region: 'na', appId: APP, streamKey: value }),
        c.disconnectStream({ region: 'na', appId: APP, sid: value }),
        c.queryOnlineStream({ region: 'na', appId: APP, sid: value }),
        c.listOnlineStreams({ region: 'na', appId: value }),
        c.disconnectStream({ region: value as 'na', appId: APP, sid: 'sid' }),
      ];
      for (const attempt of attempts) {
        expect(await rejection(attempt)).toBeInstanceOf(InvalidArgumentError);
      }
    }
    expect(await admin.calls()).toEqual([]);
    expect((await admin.stats()).calls).toBe(0);
  });
});
