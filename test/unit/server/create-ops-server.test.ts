import { afterEach, describe, expect, it } from 'vitest';
import { createMetrics } from '../../../src/metrics/index.js';
import { createOpsServer } from '../../../src/server/index.js';
import type {
  OpsLogger,
  OpsServer,
  OpsServerOptions,
  ProducerLike,
  Readiness,
} from '../../../src/server/index.js';
import { parsePrometheusText, sampleValue } from '../../support/parse-prometheus-text.js';

const TOKEN_A = 'tok-aaaaaaaaaaaaaaaaaaaaaaaa';
const TOKEN_B = 'tok-bbbbbbbbbbbbbbbbbbbbbbbbbbbbbb';

interface LogLine {
  level: string;
  obj: object;
  msg: string | undefined;
}

function captureLogger(): { logger: OpsLogger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const at =
    (level: string) =>
    (obj: object, msg?: string): void => {
      lines.push({ level, obj, msg });
    };
  return {
    logger: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') },
    lines,
  };
}

class ValidationError extends Error {
  override readonly name = 'ValidationError';
  constructor(readonly fieldErrors: { field: string; message: string }[]) {
    super(
      `invalid takedown request: ${fieldErrors.map((e) => `${e.field}: ${e.message}`).join('; ')}`,
    );
  }
}
class RedisUnavailableError extends Error {
  override readonly name = 'RedisUnavailableError';
}

/** A structural stand-in for the producer: validation, idempotency by sid, status, batches. */
function fakeProducer(): ProducerLike & { mode: 'ok' | 'down' | 'hang' | 'bug' } {
  const jobs = new Map<string, string>();
  const batches = new Map<string, { total: number }>();
  const check = (req: unknown): { field: string; message: string }[] => {
    const r = req as Record<string, unknown>;
    const errors: { field: string; message: string }[] = [];
    if (r.region !== 'na' && r.region !== 'eu')
      errors.push({ field: 'region', message: 'region must be one of na, eu' });
    if (typeof r.sid !== 'string')
      errors.push({ field: 'sid', message: 'sid or streamKey is required' });
    return errors;
  };
  const producer = {
    mode: 'ok' as 'ok' | 'down' | 'hang' | 'bug',
    async enqueue(request: unknown) {
      if (producer.mode === 'down')
        throw new RedisUnavailableError('Redis unreachable at redis://***@127.0.0.1:1');
      if (producer.mode === 'hang') return new Promise<never>(() => undefined);
      if (producer.mode === 'bug') throw new TypeError('boom: cannot read properties of undefined');
      const errors = check(request);
      if (errors.length > 0) throw new ValidationError(errors);
      const jobId = `sid-app-${(request as { sid: string }).sid}`;
      const seen = jobs.has(jobId);
      jobs.set(jobId, 'waiting');
      await Promise.resolve();
      return {
        jobId,
        status: seen ? ('duplicate' as const) : ('enqueued' as const),
        state: 'waiting',
      };
    },
    async enqueueMany(requests: readonly unknown[]) {
      const results = [];
      const counts = { enqueued: 0, duplicate: 0, rejected: 0 };
      for (const [index, request] of requests.entries()) {
        const errors = check(request);
        if (errors.length > 0) {
          counts.rejected++;
          results.push({ index, status: 'rejected', errors });
          continue;
        }
        const r = await producer.enqueue(request);
        counts[r.status]++;
        results.push({ index, jobId: r.jobId, status: r.status });
      }
      const batchId = `b${batches.size + 1}`;
      batches.set(batchId, { total: requests.length });
      return { batchId, counts, results };
    },
    async getStatus(target: string | { batchId: string }) {
      await Promise.resolve();
      if (typeof target === 'string') {
        const state = jobs.get(target);
        return { jobId: target, state: state ?? 'unknown' };
      }
      const batch = batches.get(target.batchId);
      return batch ? { batchId: target.batchId, total: batch.total, done: 0 } : undefined;
    },
  };
  return producer;
}

const open: OpsServer[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
});

async function start(overrides: Partial<OpsServerOptions> = {}): Promise<OpsServer> {
  const server = await createOpsServer({
    host: '127.0.0.1',
    port: 0,
    logger: captureLogger().logger,
    metrics: createMetrics({ defaultMetrics: false }),
    isReady: () => Promise.resolve({ ready: true }),
    ...overrides,
  });
  open.push(server);
  return server;
}

async function json(res: Response): Promise<Record<string, unknown>> {
  return (await res.json()) as Record<string, unknown>;
}

function post(
  url: string,
  body: unknown,
  token?: string,
  headers: Record<string, string> = {},
): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
      ...headers,
    },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

describe('ops server: health, readiness, metrics', () => {
  it('answers /healthz with 200 {status:"ok"}', async () => {
    const server = await start();
    const res = await fetch(`${server.url}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  it('answers /readyz 200 when ready and 503 with the reason when not', async () => {
    let readiness: Readiness = { ready: true };
    const server = await start({ isReady: () => Promise.resolve(readiness) });
    let res = await fetch(`${server.url}/readyz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ready' });

    readiness = { ready: false, reason: 'shutting down' };
    res = await fetch(`${server.url}/readyz`);
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ status: 'not-ready', reason: 'shutting down' });

    readiness = { ready: true };
    expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
  });

  it('treats a readiness check that throws or hangs as not ready, without hanging itself', async () => {
    let mode: 'throw' | 'hang' = 'throw';
    const server = await start({
      readyTimeoutMs: 200,
      isReady: () =>
        mode === 'throw'
          ? Promise.reject(new Error('Connection is closed.'))
          : new Promise<never>(() => undefined),
    });
    let res = await fetch(`${server.url}/readyz`);
    expect(res.status).toBe(503);
    expect((await json(res)).reason).toMatch(/readiness check failed: Connection is closed/);

    mode = 'hang';
    const started = Date.now();
    res = await fetch(`${server.url}/readyz`);
    expect(res.status).toBe(503);
    expect((await json(res)).reason).toMatch(/did not answer within 200 ms/);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('serves /metrics as Prometheus text that moves when the hooks are called', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    const server = await start({ metrics });
    let res = await fetch(`${server.url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    let families = parsePrometheusText(await res.text());
    expect(sampleValue(families, 'takedown_jobs_total', { outcome: 'taken-down' })).toBe(0);

    metrics.recordOutcome('taken-down', 1000);
    metrics.recordCall({
      op: 'disconnect',
      appId: 'a',
      region: 'na',
      status: 200,
      durationMs: 30,
      requestId: 'x',
    });
    res = await fetch(`${server.url}/metrics`);
    families = parsePrometheusText(await res.text());
    expect(sampleValue(families, 'takedown_jobs_total', { outcome: 'taken-down' })).toBe(1);
    expect(sampleValue(families, 'agora_requests_total', { op: 'disconnect', status: '200' })).toBe(
      1,
    );
  });

  it('answers unknown routes with a JSON 404 and mounts neither intake nor dashboard when not configured', async () => {
    const server = await start({
      intake: { tokens: [], maxBatch: 10, bodyLimitBytes: 1000, producer: fakeProducer() },
    });
    expect(server.mounted).toEqual({ intake: false, dashboard: false, notifications: false });
    const res = await post(`${server.url}/v1/takedowns`, { region: 'na', sid: 's1' }, TOKEN_A);
    expect(res.status).toBe(404);
    expect((await json(res)).error).toBe('not-found');
    expect((await fetch(`${server.url}/dashboard`)).status).toBe(404);
  });

  it('fails to start with a message naming HTTP_HOST/HTTP_PORT when the port is taken', async () => {
    const first = await start();
    const port = Number(new URL(first.url).port);
    await expect(start({ port })).rejects.toThrow(
      /could not listen on 127\.0\.0\.1:\d+ \(HTTP_HOST\/HTTP_PORT\)/,
    );
  });
});

describe('ops server: HTTP intake', () => {
  async function startIntake(extra: { timeoutMs?: number; bodyLimitBytes?: number } = {}) {
    const producer = fakeProducer();
    const { logger, lines } = captureLogger();
    const server = await start({
      logger,
      intake: {
        tokens: [TOKEN_A, '', TOKEN_B],
        maxBatch: 5,
        bodyLimitBytes: extra.bodyLimitBytes ?? 2048,
        producer,
        ...(extra.timeoutMs === undefined ? {} : { timeoutMs: extra.timeoutMs }),
      },
    });
    return { server, producer, lines };
  }

  it('rejects a missing, malformed or wrong bearer token with 401 and WWW-Authenticate', async () => {
    const { server, lines } = await startIntake();
    const url = `${server.url}/v1/takedowns`;
    const body = { region: 'na', sid: 's1' };
    for (const headers of [
      {},
      { authorization: `Basic ${Buffer.from(`u:${TOKEN_A}`).toString('base64')}` },
      { authorization: `Bearer ${TOKEN_A}x` },
      { authorization: 'Bearer short' },
      { authorization: `Bearer ${TOKEN_A.toUpperCase()}` },
      { authorization: 'Bearer' },
    ]) {
      const res = await post(url, body, undefined, headers);
      expect(res.status, JSON.stringify(headers)).toBe(401);
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer /);
      expect((await json(res)).error).toBe('unauthorized');
    }
    expect((await fetch(`${server.url}/v1/takedowns/sid-app-s1`)).status).toBe(401);
    expect((await fetch(`${server.url}/v1/batches/b1`)).status).toBe(401);
    expect((await post(`${server.url}/v1/batches`, [body])).status).toBe(401);
    // Nothing was enqueued, and no log line carries a token.
    expect(
      (
        await fetch(`${server.url}/v1/takedowns/sid-app-s1`, {
          headers: { authorization: `Bearer ${TOKEN_A}` },
        })
      ).status,
    ).toBe(404);
    const logged = JSON.stringify(lines);
    expect(logged).not.toContain(TOKEN_A);
    expect(logged).not.toContain('tok-');
  });

  it('accepts any configured token (case-insensitive scheme), answers 202 then 200 for a duplicate', async () => {
    const { server, lines } = await startIntake();
    const url = `${server.url}/v1/takedowns`;
    let res = await post(url, { region: 'na', sid: 's1', reason: 'tos' }, TOKEN_A);
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ jobId: 'sid-app-s1', status: 'enqueued', state: 'waiting' });

    res = await post(url, { region: 'na', sid: 's1' }, undefined, {
      authorization: `bearer ${TOKEN_B}`,
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      jobId: 'sid-app-s1',
      status: 'duplicate',
      state: 'waiting',
    });

    res = await fetch(`${server.url}/v1/takedowns/sid-app-s1`, {
      headers: { authorization: `Bearer ${TOKEN_B}` },
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ jobId: 'sid-app-s1', state: 'waiting' });
    expect(
      lines.some(
        (l) => l.level === 'info' && (l.obj as { path?: string }).path === '/v1/takedowns',
      ),
    ).toBe(true);
    expect(JSON.stringify(lines)).not.toMatch(/tok-/);
  });

  it('answers 400 with field errors for an invalid request and for a body that is not one object', async () => {
    const { server } = await startIntake();
    const url = `${server.url}/v1/takedowns`;
    let res = await post(url, { region: 'mars' }, TOKEN_A);
    expect(res.status).toBe(400);
    let body = await json(res);
    expect(body.error).toBe('invalid-request');
    // The route's schema answers before the producer is asked (the same fields are named).
    expect(body.fieldErrors).toEqual(
      expect.arrayContaining([
        { field: 'region', message: 'region must be one of na, eu, ap, cn' },
        { field: 'sid', message: 'sid or streamKey is required (or both)' },
      ]),
    );

    res = await post(url, [{ region: 'na', sid: 's1' }], TOKEN_A);
    expect(res.status).toBe(400);
    body = await json(res);
    expect(body.fieldErrors).toEqual([
      { field: '(body)', message: expect.stringMatching(/JSON object/) as string },
    ]);

    res = await post(url, '{"region": "na",', TOKEN_A);
    expect(res.status).toBe(400);
    expect((await json(res)).error).toBe('invalid-request');

    res = await post(url, 'region=na', TOKEN_A, { 'content-type': 'text/plain' });
    expect(res.status).toBe(400);
    expect((await json(res)).fieldErrors).toHaveLength(1);
  });

  it('answers 413 naming the limit for an oversized body (after authentication)', async () => {
    const { server } = await startIntake({ bodyLimitBytes: 512 });
    const big = { region: 'na', sid: 's1', reason: 'x'.repeat(600) };
    let res = await post(`${server.url}/v1/takedowns`, big, TOKEN_A);
    expect(res.status).toBe(413);
    expect(await res.json()).toEqual({
      error: 'payload-too-large',
      message: 'the request body is larger than the limit of 512 bytes',
    });
    res = await post(`${server.url}/v1/batches`, [big], TOKEN_A);
    expect(res.status).toBe(413);
    // Without a token the body is never read: 401, not 413.
    expect((await post(`${server.url}/v1/takedowns`, big)).status).toBe(401);
  });

  it('answers 503 with Retry-After when Redis is down or too slow, and 500 for a bug, never hanging', async () => {
    const { server, producer, lines } = await startIntake({ timeoutMs: 200 });
    const url = `${server.url}/v1/takedowns`;
    producer.mode = 'down';
    let res = await post(url, { region: 'na', sid: 's1' }, TOKEN_A);
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('5');
    const body = await json(res);
    expect(body.error).toBe('queue-unavailable');
    expect(body.message).toMatch(/Redis\) is unreachable/);

    producer.mode = 'hang';
    const started = Date.now();
    res = await post(url, { region: 'na', sid: 's2' }, TOKEN_A);
    expect(res.status).toBe(503);
    expect(Date.now() - started).toBeLessThan(2000);

    producer.mode = 'bug';
    res = await post(url, { region: 'na', sid: 's3' }, TOKEN_A);
    expect(res.status).toBe(500);
    expect(await res.json()).toEqual({
      error: 'internal',
      message: 'internal error; see the worker log',
    });
    expect(lines.some((l) => l.level === 'error' && l.msg === 'intake: unexpected error')).toBe(
      true,
    );
  });

  it('answers 404 for an unknown job id', async () => {
    const { server } = await startIntake();
    const res = await fetch(`${server.url}/v1/takedowns/sid-app-nope`, {
      headers: { authorization: `Bearer ${TOKEN_A}` },
    });
    expect(res.status).toBe(404);
    expect((await json(res)).message).toBe('no takedown with job id "sid-app-nope"');
  });

  it('enqueues a batch with per-item results, and reports its progress', async () => {
    const { server } = await startIntake();
    const items = [
      { region: 'na', sid: 'b1' },
      { region: 'xx', sid: 'b2' },
      { region: 'eu', sid: 'b1' },
    ];
    let res = await post(`${server.url}/v1/batches`, items, TOKEN_A);
    expect(res.status).toBe(202);
    const body = await json(res);
    expect(body).toEqual({
      batchId: 'b1',
      counts: { enqueued: 1, duplicate: 1, rejected: 1 },
      results: [
        { index: 0, jobId: 'sid-app-b1', status: 'enqueued' },
        {
          index: 1,
          status: 'rejected',
          errors: [{ field: 'region', message: 'region must be one of na, eu' }],
        },
        { index: 2, jobId: 'sid-app-b1', status: 'duplicate' },
      ],
    });
    res = await fetch(`${server.url}/v1/batches/b1`, {
      headers: { authorization: `Bearer ${TOKEN_A}` },
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ batchId: 'b1', total: 3, done: 0 });
    res = await fetch(`${server.url}/v1/batches/zzz`, {
      headers: { authorization: `Bearer ${TOKEN_A}` },
    });
    expect(res.status).toBe(404);
  });

  it('rejects a batch that is not an array, empty, or over the limit, naming the limit', async () => {
    const { server } = await startIntake();
    const url = `${server.url}/v1/batches`;
    let res = await post(url, { region: 'na', sid: 's' }, TOKEN_A);
    expect(res.status).toBe(400);
    expect((await json(res)).message).toMatch(/JSON array/);

    res = await post(url, [], TOKEN_A);
    expect(res.status).toBe(400);
    expect((await json(res)).message).toBe('a batch holds 1 to 5 items (INTAKE_MAX_BATCH); got 0');

    res = await post(
      url,
      Array.from({ length: 6 }, (_, i) => ({ region: 'na', sid: `s${i}` })),
      TOKEN_A,
    );
    expect(res.status).toBe(400);
    const body = await json(res);
    expect(body.message).toBe('a batch holds 1 to 5 items (INTAKE_MAX_BATCH); got 6');
    expect(body.fieldErrors).toEqual([{ field: '(body)', message: body.message }]);
  });
});
