import { describe, expect, it } from 'vitest';
import { api, apiPath, createKey, sleep, useSimulators } from './sim-http.js';

const start = useSimulators();

describe('simulator: fault injection', () => {
  it('adds latency to every API answer (not to admin calls)', async () => {
    const { sim, admin } = await start({ latencyMs: 150 });
    let t = Date.now();
    expect((await api(sim, 'GET', apiPath('na', 'app1', 'online-streams'))).status).toBe(200);
    expect(Date.now() - t).toBeGreaterThanOrEqual(140);
    t = Date.now();
    await admin.stats();
    expect(Date.now() - t).toBeLessThan(140);
    await admin.setFaults({ latencyMs: 0 });
    t = Date.now();
    await api(sim, 'GET', apiPath('na', 'app1', 'online-streams'));
    expect(Date.now() - t).toBeLessThan(140);
    const [first] = await admin.calls();
    expect(first?.durationMs).toBeGreaterThanOrEqual(140);
  });

  it('injects errors at errorRate with errorStatus, restricted to errorOps, without changing state', async () => {
    const { sim, admin } = await start();
    const key = await createKey(sim, 'na', 'app1');
    await admin.setFaults({ errorRate: 1, errorStatus: 500, errorOps: ['delete-key'] });
    const del = await api(sim, 'DELETE', apiPath('na', 'app1', `streamkeys/${key.streamKey}`));
    expect(del).toMatchObject({
      status: 500,
      body: { message: 'Internal error. Contact us to help fix it.' },
    });
    expect(del.requestId).not.toBeNull();
    expect(
      (await api(sim, 'GET', apiPath('na', 'app1', `streamkeys/${key.streamKey}`))).status,
    ).toBe(200);
    expect((await admin.keys())[0]?.revoked).toBe(false);

    await admin.setFaults({ errorOps: null });
    expect((await api(sim, 'GET', apiPath('na', 'app1', 'online-streams'))).status).toBe(500);
    await admin.setFaults({ errorRate: 0 });
    expect((await api(sim, 'GET', apiPath('na', 'app1', 'online-streams'))).status).toBe(200);
  });

  it('answers a share of calls with errors at a fractional errorRate', async () => {
    const { sim } = await start({ errorRate: 0.5, queryRps: 0 });
    const answers = await Promise.all(
      Array.from({ length: 200 }, () => api(sim, 'GET', apiPath('na', 'app1', 'online-streams'))),
    );
    const errors = answers.filter((a) => a.status === 503).length;
    // Binomial(200, 0.5): outside 60..140 has probability < 1e-8.
    expect(errors).toBeGreaterThan(60);
    expect(errors).toBeLessThan(140);
    expect(answers.every((a) => a.status === 200 || a.status === 503)).toBe(true);
  });

  it('holds timed-out requests until the client gives up, without changing state', async () => {
    const { sim, admin } = await start({ timeoutRate: 1 });
    const [s] = await admin.seed({ appId: 'app1', region: 'na', count: 1, reconnect: false });
    const t = Date.now();
    await expect(
      api(sim, 'DELETE', apiPath('na', 'app1', `online-streams/${s?.sid}`), {
        signal: AbortSignal.timeout(200),
      }),
    ).rejects.toThrow();
    expect(Date.now() - t).toBeGreaterThanOrEqual(190);
    expect(await admin.streams()).toHaveLength(1);
    const [call] = await admin.calls();
    expect(call).toMatchObject({ op: 'disconnect', status: 0 });
    expect((await admin.stats()).timeouts).toBe(1);
  });

  it('close() drops held requests and resolves promptly', async () => {
    const { sim } = await start({ timeoutRate: 1 });
    const held = api(sim, 'GET', apiPath('na', 'app1', 'online-streams'));
    const settled = held.then(
      () => 'answered',
      () => 'dropped',
    );
    await sleep(50);
    const t = Date.now();
    await sim.close();
    expect(Date.now() - t).toBeLessThan(1000);
    expect(await settled).toBe('dropped');
  });

  it('restricts timeouts to timeoutOps', async () => {
    const { sim, admin } = await start();
    await admin.setFaults({ timeoutRate: 1, timeoutOps: ['disconnect'] });
    expect((await api(sim, 'GET', apiPath('na', 'app1', 'online-streams'))).status).toBe(200);
    await expect(
      api(sim, 'DELETE', apiPath('na', 'app1', 'online-streams/x'), {
        signal: AbortSignal.timeout(100),
      }),
    ).rejects.toThrow();
  });

  it('answers 503 to every API call during an outage, then recovers', async () => {
    const { sim, admin } = await start();
    const key = await createKey(sim, 'na', 'app1');
    const view = await admin.setFaults({ outageMs: 300 });
    expect(view.outageRemainingMs).toBeGreaterThan(200);
    const badAuth = await api(sim, 'GET', apiPath('na', 'app1', 'online-streams'), {
      headers: { authorization: 'Basic x' },
    });
    expect(badAuth.status).toBe(503);
    const del = await api(sim, 'DELETE', apiPath('na', 'app1', `streamkeys/${key.streamKey}`));
    expect(del).toMatchObject({
      status: 503,
      body: { message: 'Service unavailable temporarily. Retry with the back-off strategy.' },
    });
    expect(del.requestId).not.toBeNull();
    await sleep(320);
    expect(
      (await api(sim, 'GET', apiPath('na', 'app1', `streamkeys/${key.streamKey}`))).status,
    ).toBe(200);
    await admin.setFaults({ outageMs: 10_000 });
    await admin.setFaults({ outageMs: null });
    expect((await api(sim, 'GET', apiPath('na', 'app1', 'online-streams'))).status).toBe(200);
  });

  it('answers matching requests from a rule count times, then serves them', async () => {
    const { sim, admin } = await start({ reconnectDelayMs: 10_000 });
    const [a, b] = await admin.seed({ appId: 'app1', region: 'na', count: 2, reconnect: false });
    await admin.setFaults({
      rules: [{ op: 'disconnect', sid: a?.sid ?? '', status: 503, count: 3 }],
    });
    const path = apiPath('na', 'app1', `online-streams/${a?.sid}`);
    for (let i = 0; i < 3; i += 1) {
      const res = await api(sim, 'DELETE', path);
      expect(res.status).toBe(503);
      expect(res.requestId).not.toBeNull();
    }
    expect((await admin.faults()).rules).toEqual([]);
    // The other SID and other ops were never affected.
    expect((await api(sim, 'GET', path)).status).toBe(200);
    expect(
      (await api(sim, 'DELETE', apiPath('na', 'app1', `online-streams/${b?.sid}`))).status,
    ).toBe(200);
    expect(await admin.streams()).toHaveLength(1);
    expect((await api(sim, 'DELETE', path)).status).toBe(200);
    expect(await admin.streams()).toEqual([]);
  });

  it('applies forever-rules by op and streamKey with custom messages; 401 rules carry no request id', async () => {
    const { sim, admin } = await start();
    const key = await createKey(sim, 'na', 'app1');
    const path = apiPath('na', 'app1', `streamkeys/${key.streamKey}`);
    for (const [status, message] of [
      [400, 'Invalid settings.'],
      [403, 'Media Gateway is not enabled for this project. Contact us to enable.'],
    ] as const) {
      await admin.setFaults({ rules: [{ op: 'delete-key', streamKey: key.streamKey, status }] });
      for (let i = 0; i < 2; i += 1) {
        const res = await api(sim, 'DELETE', path);
        expect(res).toMatchObject({ status, body: { message } });
        expect(res.requestId).not.toBeNull();
      }
    }
    await admin.setFaults({ rules: [{ op: 'delete-key', status: 401, message: 'custom' }] });
    const unauthorized = await api(sim, 'DELETE', path);
    expect(unauthorized).toMatchObject({ status: 401, body: { message: 'custom' } });
    expect(unauthorized.requestId).toBeNull();
    expect((await admin.keys())[0]?.revoked).toBe(false);
    await admin.setFaults({ rules: null });
    expect((await api(sim, 'DELETE', path)).status).toBe(200);
  });

  it('logs faulted answers in the call log', async () => {
    const { sim, admin } = await start();
    await admin.setFaults({ rules: [{ op: 'list-streams', status: 409, count: 1 }] });
    await api(sim, 'GET', apiPath('na', 'app1', 'online-streams'));
    await api(sim, 'GET', apiPath('na', 'app1', 'online-streams'));
    expect((await admin.calls()).map((c) => c.status)).toEqual([409, 200]);
  });

  it('rejects invalid fault bodies naming the field, leaving faults unchanged', async () => {
    const { admin } = await start();
    await admin.setFaults({ latencyMs: 5 });
    for (const bad of [
      { errorRate: 2 },
      { errorStatus: 200 },
      { errorOps: ['nope'] },
      { latencyMs: 1, rules: [{ op: 'disconnect' }] },
      { bogus: 1 },
    ]) {
      await expect(admin.setFaults(bad as never)).rejects.toMatchObject({ status: 400 });
    }
    expect((await admin.faults()).latencyMs).toBe(5);
  });
});
