import { createServer } from 'node:net';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  AgoraAbortedError,
  AgoraHttpError,
  AgoraNetworkError,
  AgoraResponseError,
  AgoraTimeoutError,
  InvalidArgumentError,
  computeHmacSignature,
  createAgoraClient,
  type AgoraClient,
  type AgoraClientOptions,
  type CallInfo,
} from '../../../src/agora/index.js';
import {
  recordingLogger,
  sendJson,
  startHttpTestServer,
  type HttpTestServer,
  type TestHandler,
} from './http-test-server.js';

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const SECRET = 'top-secret-value';
const KEY = { region: 'na', appId: 'APPID', streamKey: 'key-1' } as const;
const SID = { region: 'eu', appId: 'APPID', sid: 'sid-1' } as const;
const STREAM = {
  sid: 'sid-1',
  channel: 'ch',
  uid: '7',
  url: 'rtls-ingress-prod-eu.agoramdn.com/live/key-1',
  status: 'Running',
  beginAt: '2024-01-01 00:00:00.000',
};

const opened: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((r) => r.close()));
});

async function server(handler: TestHandler): Promise<HttpTestServer> {
  const s = await startHttpTestServer(handler);
  opened.push(s);
  return s;
}

function client(baseUrl: string, extra: Partial<AgoraClientOptions> = {}): AgoraClient {
  const c = createAgoraClient({
    baseUrl,
    auth: { scheme: 'basic', customerId: 'cust', customerSecret: SECRET },
    timeoutMs: 2000,
    ...extra,
  });
  opened.push(c);
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

describe('requests on the wire', () => {
  it('sends a fresh UUID X-Request-ID on every call and keeps the one the server answers', async () => {
    let n = 0;
    const s = await server((_req, res) => {
      n += 1;
      // The second answer carries no X-Request-ID: the client falls back to the one it sent.
      sendJson(res, 200, { status: 'success' }, n === 1 ? { 'x-request-id': 'from-server' } : {});
    });
    const c = client(s.url);
    const first = await c.deleteStreamKey(KEY);
    const second = await c.deleteStreamKey(KEY);
    const sent = s.requests.map((r) => r.headers['x-request-id']);
    expect(sent[0]).toMatch(UUID_RE);
    expect(sent[1]).toMatch(UUID_RE);
    expect(sent[0]).not.toBe(sent[1]);
    expect(first).toEqual({ requestId: 'from-server', result: 'deleted' });
    expect(second).toEqual({ requestId: sent[1], result: 'deleted' });
  });

  it('sends Basic auth, JSON body and the documented path for create', async () => {
    const s = await server((_req, res) =>
      sendJson(res, 200, {
        status: 'success',
        data: {
          streamKey: 'new-key',
          channel: 'ch',
          uid: '1001',
          expiresAfter: 0,
          createdAt: '1686820170',
        },
      }),
    );
    const c = client(s.url);
    const created = await c.createStreamKey({
      region: 'ap',
      appId: 'APPID',
      channel: 'ch',
      uid: '1001',
      expiresAfter: 0,
      templateId: 'tpl1',
    });
    const [req] = s.requests;
    expect(req?.method).toBe('POST');
    expect(req?.url).toBe('/ap/v1/projects/APPID/rtls/ingress/streamkeys');
    expect(req?.headers.authorization).toBe(
      `Basic ${Buffer.from(`cust:${SECRET}`).toString('base64')}`,
    );
    expect(req?.headers['content-type']).toBe('application/json');
    expect(JSON.parse(req?.body ?? '')).toEqual({
      settings: { channel: 'ch', uid: '1001', expiresAfter: 0, templateId: 'tpl1' },
    });
    expect(created.key.streamKey).toBe('new-key');
    expect(created.requestId).toBe(req?.headers['x-request-id']);
  });

  it('signs HMAC over the Host as sent (with port) and the path including the query', async () => {
    const s = await server((_req, res) =>
      sendJson(res, 200, { status: 'success', data: [STREAM] }),
    );
    const c = client(`${s.url}/`, {
      auth: { scheme: 'hmac', customerId: 'cust', customerSecret: SECRET },
    });
    const listed = await c.listOnlineStreams({ region: 'eu', appId: 'APPID', channel: 'a b&c#d' });
    const [req] = s.requests;
    expect(req?.url).toBe(
      '/eu/v1/projects/APPID/rtls/ingress/online-streams?channel=a%20b%26c%23d',
    );
    const host = req?.headers.host ?? '';
    expect(host).toBe(new URL(s.url).host);
    expect(host).toMatch(/:\d+$/);
    const date = req?.headers.date ?? '';
    expect(Math.abs(Date.parse(date) - Date.now())).toBeLessThan(5000);
    const expected = computeHmacSignature({
      customerSecret: SECRET,
      host,
      date,
      method: 'GET',
      pathWithQuery: req?.url ?? '',
      body: '',
    });
    expect(req?.headers.digest).toBe(expected.digest);
    expect(req?.headers.authorization).toBe(
      `hmac username="cust", algorithm="hmac-sha256", headers="host date request-line digest", signature="${expected.signature}"`,
    );
    expect(listed.streams).toEqual([{ ...STREAM, streamKey: 'key-1' }]);
  });

  it('signs the exact body bytes of a POST', async () => {
    const s = await server((_req, res) =>
      sendJson(res, 200, {
        data: { streamKey: 'k', channel: 'ch', uid: '1', expiresAfter: 0, createdAt: '1' },
      }),
    );
    const c = client(s.url, {
      auth: { scheme: 'hmac', customerId: 'cust', customerSecret: SECRET },
    });
    await c.createStreamKey({
      region: 'na',
      appId: 'APPID',
      channel: 'ch',
      uid: '1',
      expiresAfter: 0,
    });
    const [req] = s.requests;
    const expected = computeHmacSignature({
      customerSecret: SECRET,
      host: req?.headers.host ?? '',
      date: req?.headers.date ?? '',
      method: 'POST',
      pathWithQuery: req?.url ?? '',
      body: req?.body ?? '',
    });
    expect(req?.headers.digest).toBe(expected.digest);
    expect(req?.headers.authorization).toContain(`signature="${expected.signature}"`);
  });

  it('keeps a path prefix of the base URL', async () => {
    const s = await server((_req, res) => sendJson(res, 200, { status: 'success' }));
    await client(`${s.url}/proxy/agora/`).disconnectStream(SID);
    expect(s.requests[0]?.url).toBe(
      '/proxy/agora/eu/v1/projects/APPID/rtls/ingress/online-streams/sid-1',
    );
  });

  it('reuses one keep-alive connection across successes, 404s and error bodies', async () => {
    let n = 0;
    // Bodies larger than the socket buffers: an unread body would keep its socket busy.
    const padding = 'x'.repeat(512 * 1024);
    const s = await server((_req, res) => {
      n += 1;
      if (n % 3 === 0) sendJson(res, 503, { message: 'Service unavailable.', padding });
      else if (n % 3 === 1) sendJson(res, 404, { message: 'Resource not found.', padding });
      else sendJson(res, 200, { status: 'success', padding });
    });
    const c = client(s.url);
    for (let i = 0; i < 9; i++) {
      await c.deleteStreamKey(KEY).catch((err: unknown) => err);
    }
    expect(s.requests).toHaveLength(9);
    // undici hands the socket back just after the body resolves, so sequential calls may
    // alternate between two pooled sockets; an unread body would cost a connection per call.
    expect(s.connections()).toBeLessThanOrEqual(2);
  });
});

describe('results', () => {
  it('maps 404 to not-found on delete, disconnect, query key and query stream', async () => {
    const s = await server((_req, res) =>
      sendJson(
        res,
        404,
        { message: 'Resource not found and destroyed.' },
        { 'x-request-id': 'r404' },
      ),
    );
    const c = client(s.url);
    expect(await c.deleteStreamKey(KEY)).toEqual({ requestId: 'r404', result: 'not-found' });
    expect(await c.disconnectStream(SID)).toEqual({ requestId: 'r404', result: 'not-found' });
    expect(await c.queryStreamKey(KEY)).toEqual({ requestId: 'r404', result: 'not-found' });
    expect(await c.queryOnlineStream(SID)).toEqual({ requestId: 'r404', result: 'not-found' });
  });

  it('raises a 404 on list and create as a non-retryable AgoraHttpError', async () => {
    const s = await server((_req, res) => sendJson(res, 404, { message: 'nope' }));
    const c = client(s.url);
    const err = await rejection(c.listOnlineStreams({ region: 'na', appId: 'APPID' }));
    expect(err).toBeInstanceOf(AgoraHttpError);
    expect(err).toMatchObject({ status: 404, retryable: false, agoraMessage: 'nope' });
  });

  it('accepts query-by-SID data as an object and as an array', async () => {
    let n = 0;
    const s = await server((_req, res) => {
      n += 1;
      sendJson(res, 200, { status: 'success', data: n === 1 ? STREAM : [STREAM] });
    });
    const c = client(s.url);
    const a = await c.queryOnlineStream(SID);
    const b = await c.queryOnlineStream(SID);
    expect(a).toMatchObject({ result: 'found', stream: { sid: 'sid-1', streamKey: 'key-1' } });
    expect(b).toMatchObject({ result: 'found', stream: { sid: 'sid-1', streamKey: 'key-1' } });
  });

  it('raises AgoraResponseError (not retryable) for a 2xx body of the wrong shape', async () => {
    const s = await server((_req, res) =>
      sendJson(res, 200, '<html>hello</html>', { 'x-request-id': 'odd' }),
    );
    const c = client(s.url);
    const err = await rejection(c.queryStreamKey(KEY));
    expect(err).toBeInstanceOf(AgoraResponseError);
    expect(err).toMatchObject({ retryable: false, requestId: 'odd', status: 200, op: 'query-key' });
  });
});

describe('error classification', () => {
  it.each([
    [429, 'Request rate limit exceeded.', true],
    [409, 'Resource with the same name already exists.', true],
    [500, 'Internal error. Contact us to help fix it.', true],
    [503, 'Service overload.', true],
    [400, 'Invalid settings.', false],
    [401, 'Invalid authentication credentials.', false],
    [403, 'Stream does not belong to this app ID.', false],
  ])('HTTP %i → AgoraHttpError retryable=%s', async (status, message, retryable) => {
    const s = await server((_req, res) => sendJson(res, status, { status: 'error', message }));
    const err = await rejection(client(s.url).deleteStreamKey(KEY));
    expect(err).toBeInstanceOf(AgoraHttpError);
    expect(err).toMatchObject({ status, agoraMessage: message, retryable });
    expect((err as Error).message).not.toContain(SECRET);
  });

  it('parses Retry-After in seconds and as an HTTP date', async () => {
    let n = 0;
    const s = await server((_req, res) => {
      n += 1;
      const value = n === 1 ? '7' : new Date(Date.now() + 60_000).toUTCString();
      sendJson(res, n === 1 ? 429 : 503, { message: 'slow down' }, { 'retry-after': value });
    });
    const c = client(s.url);
    const seconds = (await rejection(c.disconnectStream(SID))) as AgoraHttpError;
    const date = (await rejection(c.disconnectStream(SID))) as AgoraHttpError;
    expect(seconds.retryAfterMs).toBe(7000);
    expect(date.retryAfterMs).toBeGreaterThan(55_000);
    expect(date.retryAfterMs).toBeLessThanOrEqual(60_000);
  });

  it('does not follow redirects: a 3xx is a non-retryable AgoraHttpError', async () => {
    const elsewhere = await server((_req, res) => sendJson(res, 200, { status: 'success' }));
    const s = await server((_req, res) => {
      res.writeHead(307, { location: `${elsewhere.url}/x`, 'content-length': '0' });
      res.end();
    });
    const err = await rejection(client(s.url).deleteStreamKey(KEY));
    expect(err).toBeInstanceOf(AgoraHttpError);
    expect(err).toMatchObject({ status: 307, retryable: false });
    expect(elsewhere.requests).toHaveLength(0);
  });

  it('leaves retryAfterMs undefined without a Retry-After header', async () => {
    const s = await server((_req, res) =>
      sendJson(res, 429, { message: 'Request rate limit exceeded.' }),
    );
    const err = (await rejection(client(s.url).disconnectStream(SID))) as AgoraHttpError;
    expect(err.retryAfterMs).toBeUndefined();
  });

  it('times out when no response arrives, reporting status 0', async () => {
    const s = await server(() => {
      // never answer
    });
    const calls: CallInfo[] = [];
    const c = client(s.url, { timeoutMs: 200, onCall: (i) => calls.push(i) });
    const started = Date.now();
    const err = await rejection(c.deleteStreamKey(KEY));
    expect(err).toBeInstanceOf(AgoraTimeoutError);
    expect(err).toMatchObject({
      retryable: true,
      requestId: s.requests[0]?.headers['x-request-id'],
    });
    expect(Date.now() - started).toBeLessThan(1500);
    expect(calls).toEqual([
      expect.objectContaining({
        op: 'delete-key',
        status: 0,
        requestId: s.requests[0]?.headers['x-request-id'],
      }),
    ]);
  });

  it('times out when the body stalls after the headers', async () => {
    const s = await server((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' });
      res.write('{"status":');
    });
    const err = await rejection(client(s.url, { timeoutMs: 200 }).queryStreamKey(KEY));
    expect(err).toBeInstanceOf(AgoraTimeoutError);
  });

  it('classifies a refused connection (closed port) as a retryable AgoraNetworkError', async () => {
    const probe = createServer();
    probe.listen(0, '127.0.0.1');
    await once(probe, 'listening');
    const { port } = probe.address() as AddressInfo;
    probe.close();
    await once(probe, 'close');
    const calls: CallInfo[] = [];
    const err = await rejection(
      client(`http://127.0.0.1:${port}`, { onCall: (i) => calls.push(i) }).disconnectStream(SID),
    );
    expect(err).toBeInstanceOf(AgoraNetworkError);
    expect(err).toMatchObject({ code: 'ECONNREFUSED', retryable: true, op: 'disconnect' });
    expect((err as AgoraNetworkError).requestId).toMatch(UUID_RE);
    expect(calls[0]?.status).toBe(0);
  });

  it('classifies a connection reset mid-response as a retryable network error', async () => {
    const s = await server((req) => {
      req.socket.destroy();
    });
    const err = await rejection(client(s.url).deleteStreamKey(KEY));
    expect(err).toBeInstanceOf(AgoraNetworkError);
    expect((err as AgoraNetworkError).retryable).toBe(true);
  });

  it("reports the caller's abort as AgoraAbortedError", async () => {
    const s = await server(() => {
      // never answer
    });
    const controller = new AbortController();
    const pending = client(s.url).deleteStreamKey(KEY, { signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    const err = await rejection(pending);
    expect(err).toBeInstanceOf(AgoraAbortedError);
    expect((err as AgoraAbortedError).retryable).toBe(true);
  });
});

describe('input safety', () => {
  const hostile = [
    'a/b',
    '..',
    '.',
    '%2e%2e',
    'a%2Fb',
    'a?b=c',
    'a#b',
    'a b',
    'a\tb',
    'a\nb',
    'a\u0001b',
    'a\u0000b',
    'x'.repeat(10_240),
    '',
    'ключ',
    '🔥',
    'a\\b',
    'a;b',
  ];

  it('rejects hostile SIDs, keys, app IDs and regions before any request', async () => {
    const s = await server((_req, res) => sendJson(res, 200, { status: 'success' }));
    const calls: CallInfo[] = [];
    const c = client(s.url, { onCall: (i) => calls.push(i) });
    for (const value of hostile) {
      const attempts: [string, Promise<unknown>][] = [
        ['streamKey', c.deleteStreamKey({ ...KEY, streamKey: value })],
        ['streamKey', c.queryStreamKey({ ...KEY, streamKey: value })],
        ['sid', c.disconnectStream({ ...SID, sid: value })],
        ['sid', c.queryOnlineStream({ ...SID, sid: value })],
        ['appId', c.deleteStreamKey({ ...KEY, appId: value })],
        ['appId', c.listOnlineStreams({ region: 'na', appId: value })],
        ['region', c.disconnectStream({ ...SID, region: value as 'na' })],
      ];
      for (const [field, attempt] of attempts) {
        const err = await rejection(attempt);
        expect(err).toBeInstanceOf(InvalidArgumentError);
        expect(err).toMatchObject({ field, retryable: false });
      }
    }
    for (const channel of ['a/b&x', '', 'c'.repeat(64), 'ch\n', '🔥']) {
      const err = await rejection(c.listOnlineStreams({ region: 'na', appId: 'APPID', channel }));
      expect(err).toMatchObject({ name: 'InvalidArgumentError', field: 'channel' });
    }
    expect(s.requests).toHaveLength(0);
    expect(s.connections()).toBe(0);
    expect(calls).toHaveLength(0);
  });

  it('rejects invalid options with the field named', () => {
    const auth = { scheme: 'basic', customerId: 'c', customerSecret: 's' } as const;
    expect(() => createAgoraClient({ baseUrl: 'ftp://x', auth, timeoutMs: 1 })).toThrow(/baseUrl/);
    expect(() => createAgoraClient({ baseUrl: 'not a url', auth, timeoutMs: 1 })).toThrow(
      /baseUrl/,
    );
    expect(() => createAgoraClient({ baseUrl: 'http://x', auth, timeoutMs: 0 })).toThrow(
      /timeoutMs/,
    );
    expect(() =>
      createAgoraClient({
        baseUrl: 'http://x',
        auth: { ...auth, customerSecret: '' },
        timeoutMs: 1,
      }),
    ).toThrow(/auth/);
    expect(() =>
      createAgoraClient({
        baseUrl: 'http://x',
        auth: { ...auth, scheme: 'digest' as 'basic' },
        timeoutMs: 1,
      }),
    ).toThrow(/auth\.scheme/);
  });
});

describe('logging, metrics and lifecycle', () => {
  it('logs one line per call without headers or secrets; a per-call logger wins', async () => {
    let n = 0;
    const s = await server((_req, res) => {
      n += 1;
      if (n === 1) sendJson(res, 200, { status: 'success' }, { 'x-request-id': 'rid-1' });
      else sendJson(res, 500, { message: 'Internal error. Contact us to help fix it.' });
    });
    const root = recordingLogger();
    const scoped = recordingLogger();
    const c = client(s.url, {
      logger: root.logger,
      auth: { scheme: 'hmac', customerId: 'cust', customerSecret: SECRET },
    });
    await c.disconnectStream(SID);
    await rejection(c.deleteStreamKey(KEY, { logger: scoped.logger }));
    expect(root.lines).toHaveLength(1);
    expect(root.lines[0]).toMatchObject({
      level: 'debug',
      obj: {
        op: 'disconnect',
        appId: 'APPID',
        region: 'eu',
        sid: 'sid-1',
        status: 200,
        requestId: 'rid-1',
      },
    });
    expect(typeof root.lines[0]?.obj.durationMs).toBe('number');
    expect(scoped.lines).toHaveLength(1);
    expect(scoped.lines[0]).toMatchObject({
      level: 'info',
      obj: {
        op: 'delete-key',
        streamKey: 'key-1',
        status: 500,
        error: 'AgoraHttpError',
        retryable: true,
        agoraMessage: 'Internal error. Contact us to help fix it.',
      },
    });
    const dump = JSON.stringify([...root.lines, ...scoped.lines]);
    expect(dump).not.toContain(SECRET);
    expect(dump.toLowerCase()).not.toContain('authorization');
    expect(dump).not.toContain('hmac username');
  });

  it('reports every finished exchange to onCall, and a throwing onCall changes nothing', async () => {
    const s = await server((_req, res) =>
      sendJson(res, 404, { message: 'x' }, { 'x-request-id': 'r' }),
    );
    const calls: CallInfo[] = [];
    const c = client(s.url, {
      onCall: (i) => {
        calls.push(i);
        throw new Error('metrics broke');
      },
    });
    expect(await c.queryStreamKey(KEY)).toEqual({ requestId: 'r', result: 'not-found' });
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({
      op: 'query-key',
      appId: 'APPID',
      region: 'na',
      status: 404,
      requestId: 'r',
    });
    expect(Object.keys(calls[0] ?? {}).sort()).toEqual(
      ['appId', 'durationMs', 'op', 'region', 'requestId', 'status'].sort(),
    );
  });

  it('close() waits for calls in flight, then refuses new ones', async () => {
    const s = await server((_req, res) => {
      setTimeout(() => sendJson(res, 200, { status: 'success' }), 100);
    });
    const c = client(s.url);
    const pending = c.deleteStreamKey(KEY);
    await c.close();
    expect(await pending).toMatchObject({ result: 'deleted' });
    const err = await rejection(c.deleteStreamKey(KEY));
    expect(err).toMatchObject({ name: 'AgoraError', retryable: true });
    expect(s.requests).toHaveLength(1);
  });
});
