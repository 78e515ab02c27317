import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { api, apiPath, hmacHeaders, useSimulators } from './sim-http.js';

const start = useSimulators();
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('simulator: authentication', () => {
  it('accepts Basic with any case of the scheme', async () => {
    const { sim } = await start({ customerId: 'cid', customerSecret: 'p@55w0rd' });
    const token = Buffer.from('cid:p@55w0rd').toString('base64');
    for (const scheme of ['Basic', 'basic', 'BASIC']) {
      const res = await api(sim, 'GET', apiPath('na', 'app1', 'online-streams'), {
        headers: { authorization: `${scheme} ${token}` },
      });
      expect(res.status).toBe(200);
    }
  });

  it('accepts HMAC on a POST with a body and on a GET with a query string', async () => {
    const { sim, admin } = await start();
    const host = new URL(sim.url).host;
    const postPath = apiPath('na', 'app1', 'streamkeys');
    const body = JSON.stringify({ settings: { channel: 'shx001', uid: '1001', expiresAfter: 0 } });
    const created = await api(sim, 'POST', postPath, {
      body,
      headers: hmacHeaders({ host, method: 'POST', pathWithQuery: postPath, body }),
    });
    expect(created.status).toBe(200);

    const getPath = apiPath('na', 'app1', `online-streams?channel=${encodeURIComponent('a b')}`);
    const listed = await api(sim, 'GET', getPath, {
      headers: hmacHeaders({ host, method: 'GET', pathWithQuery: getPath, body: '' }),
    });
    expect(listed.status).toBe(200);
    expect((await admin.keys()).length).toBe(1);
  });

  it.each([
    [
      'a wrong Basic secret',
      () => ({ authorization: `Basic ${Buffer.from('demo-customer:nope').toString('base64')}` }),
    ],
    [
      'a wrong Basic customer',
      () => ({ authorization: `Basic ${Buffer.from('x:demo-secret').toString('base64')}` }),
    ],
    ['no Authorization header', () => ({ authorization: '' })],
    ['an unknown scheme', () => ({ authorization: 'Bearer abc' })],
  ])('answers 401 without X-Request-ID for %s', async (_label, headers) => {
    const { sim, admin } = await start();
    const res = await api(sim, 'GET', apiPath('na', 'app1', 'online-streams'), {
      headers: { ...headers(), 'x-request-id': randomUUID() },
    });
    expect(res).toMatchObject({
      status: 401,
      body: { message: 'Invalid authentication credentials.' },
    });
    expect(res.requestId).toBeNull();
    const [call] = await admin.calls();
    expect(call).toMatchObject({ status: 401, op: 'list-streams' });
    expect(call?.requestId).toBeUndefined();
  });

  it('rejects HMAC that does not match what was sent', async () => {
    const { sim, admin } = await start();
    const host = new URL(sim.url).host;
    const path = apiPath('na', 'app1', 'streamkeys');
    const body = JSON.stringify({ settings: { channel: 'c', uid: '1', expiresAfter: 0 } });
    const cases: Record<string, string>[] = [
      // body changed after signing (Digest no longer matches)
      { ...hmacHeaders({ host, method: 'POST', pathWithQuery: path, body: '{}' }) },
      // digest recomputed for the new body but signature left alone
      {
        ...hmacHeaders({ host, method: 'POST', pathWithQuery: path, body: '{}' }),
        digest: hmacHeaders({ host, method: 'POST', pathWithQuery: path, body }).digest ?? '',
      },
      // signed without the port in host
      hmacHeaders({ host: '127.0.0.1', method: 'POST', pathWithQuery: path, body }),
      // signed with a different path / query
      hmacHeaders({ host, method: 'POST', pathWithQuery: `${path}?x=1`, body }),
      // wrong secret
      hmacHeaders({ host, method: 'POST', pathWithQuery: path, body, secret: 'nope' }),
      // wrong customer id
      hmacHeaders({ host, method: 'POST', pathWithQuery: path, body, customerId: 'other' }),
      // date outside the clock-skew window
      hmacHeaders({
        host,
        method: 'POST',
        pathWithQuery: path,
        body,
        date: new Date(Date.now() - 301_000).toUTCString(),
      }),
    ];
    for (const headers of cases) {
      const res = await api(sim, 'POST', path, { body, headers });
      expect(res.status).toBe(401);
      expect(res.requestId).toBeNull();
    }
    expect(await admin.keys()).toEqual([]);
  });

  it('honours hmacClockSkewS', async () => {
    const { sim } = await start({ hmacClockSkewS: 10 });
    const host = new URL(sim.url).host;
    const path = apiPath('na', 'app1', 'online-streams');
    const date = new Date(Date.now() - 20_000).toUTCString();
    const res = await api(sim, 'GET', path, {
      headers: hmacHeaders({ host, method: 'GET', pathWithQuery: path, body: '', date }),
    });
    expect(res.status).toBe(401);
  });
});

describe('simulator: X-Request-ID', () => {
  it('echoes the request id it was sent', async () => {
    const { sim, admin } = await start();
    const id = randomUUID();
    const res = await api(sim, 'GET', apiPath('na', 'app1', 'online-streams'), {
      headers: { 'x-request-id': id },
    });
    expect(res.requestId).toBe(id);
    expect((await admin.calls())[0]?.requestId).toBe(id);
  });

  it('generates a UUID when none was sent, on success and error answers', async () => {
    const { sim } = await start();
    const ok = await api(sim, 'GET', apiPath('na', 'app1', 'online-streams'));
    expect(ok.requestId).toMatch(UUID);
    const missing = await api(sim, 'GET', apiPath('na', 'app1', 'streamkeys/nope'));
    expect(missing.status).toBe(404);
    expect(missing.requestId).toMatch(UUID);
    expect(missing.requestId).not.toBe(ok.requestId);
  });
});
