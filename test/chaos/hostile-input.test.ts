import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMetrics } from '../../src/metrics/index.js';
import { ValidationError } from '../../src/producer/index.js';
import { createOpsServer } from '../../src/server/index.js';
import type { OpsLogger, OpsServer } from '../../src/server/index.js';
import { inPool, runTakedownCli } from '../support/chaos-cli.js';
import { checkChaosInvariants, describeViolations } from '../support/chaos-invariants.js';
import type { CliRun } from '../support/chaos-cli.js';
import {
  HOSTILE_CASES,
  HOSTILE_CLI_ARGS,
  hostileBatchFiles,
} from '../support/chaos-hostile-corpus.js';
import { CHAOS_APP_ID, createChaosWorld } from '../support/chaos-world.js';
import type { ChaosWorld } from '../support/chaos-world.js';
import { redisUrl } from '../support/isolation.js';
import type { WorkerProcess } from '../support/worker-process.js';

const TOKEN = 'chaos-intake-token-0123456789abcdef';
const BODY_LIMIT = 1024 * 1024;
const silent: OpsLogger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

/** Fields that are prototype keys: JSON parsers treat them specially. */
const PROTO_KEYS = ['__proto__', 'constructor'];

interface BatchBody {
  counts: Record<string, number>;
  results: { index: number; status: string; errors?: FieldErrorLike[] }[];
}

interface FieldErrorLike {
  field: string;
  message: string;
}

/** Does this list of field errors name `field` (and say something about it)? */
function names(errors: readonly FieldErrorLike[] | undefined, field: string | RegExp): boolean {
  return (errors ?? []).some(
    (e) =>
      (typeof field === 'string' ? e.field === field : field.test(e.field)) &&
      e.message.length > 10,
  );
}

/** POSTs raw bytes (so invalid UTF-8 and duplicate keys reach the server as sent). */
function postRaw(
  url: string,
  path: string,
  body: Buffer,
  headers: Record<string, string | string[]> = {},
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      `${url}${path}`,
      {
        method: 'POST',
        headers: {
          authorization: `Bearer ${TOKEN}`,
          'content-type': 'application/json',
          'content-length': String(body.length),
          ...headers,
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

function parse(text: string): Record<string, unknown> {
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch {
    return { unparsable: text };
  }
}

describe('chaos 5: hostile input through the CLI, the producer API and the HTTP intake', () => {
  let world: ChaosWorld;
  let server: OpsServer;
  let worker: WorkerProcess;
  let dir: string;
  const cliEnv = (): Record<string, string> => ({
    REDIS_URL: world.redisUrl,
    TAKEDOWN_PREFIX: world.prefix,
    AGORA_APP_ID: CHAOS_APP_ID,
  });

  beforeAll(async () => {
    world = await createChaosWorld({ redisUrl: redisUrl(), attempts: 3 });
    server = await createOpsServer({
      host: '127.0.0.1',
      port: 0,
      logger: silent,
      metrics: createMetrics({ defaultMetrics: false }),
      isReady: () => Promise.resolve({ ready: true }),
      intake: {
        tokens: [TOKEN],
        maxBatch: 1000,
        bodyLimitBytes: BODY_LIMIT,
        producer: world.producer,
      },
    });
    // A live worker on the same queue: anything that slipped through would reach the API.
    worker = world.spawnWorker();
    await worker.ready(30_000);
    dir = await mkdtemp(join(tmpdir(), 'takedown-chaos-'));
  });
  afterAll(async () => {
    await server?.close();
    await world?.close();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it(`has at least 40 cases`, () => {
    expect(HOSTILE_CASES.length).toBeGreaterThanOrEqual(40);
    console.info(
      `[chaos 5] corpus: ${HOSTILE_CASES.length} requests, ${HOSTILE_CLI_ARGS.length} command lines, ` +
        `${hostileBatchFiles().length} batch files`,
    );
  });

  it('producer API: enqueue rejects every case with a ValidationError naming the field', async () => {
    const misses: string[] = [];
    for (const c of HOSTILE_CASES) {
      try {
        const r = await world.producer.enqueue(c.request);
        misses.push(`${c.name}: accepted (${r.status} ${r.jobId})`);
      } catch (err) {
        if (!(err instanceof ValidationError)) {
          misses.push(`${c.name}: ${(err as Error).name}: ${(err as Error).message}`);
        } else if (!names(err.fieldErrors, c.field)) {
          misses.push(`${c.name}: does not name ${c.field}: ${err.message}`);
        }
      }
    }
    expect(misses).toEqual([]);
  });

  it('producer API: enqueueMany rejects every item, naming the field', async () => {
    const result = await world.producer.enqueueMany(HOSTILE_CASES.map((c) => c.request));
    expect(result.counts).toMatchObject({
      total: HOSTILE_CASES.length,
      enqueued: 0,
      duplicates: 0,
    });
    const misses = result.results.flatMap((r) => {
      const c = HOSTILE_CASES[r.index];
      if (c === undefined) return [`unexpected index ${r.index}`];
      if (r.status !== 'rejected') return [`${c.name}: ${r.status}`];
      return names(r.errors, c.field) ? [] : [`${c.name}: ${JSON.stringify(r.errors)}`];
    });
    expect(misses).toEqual([]);
    const strict = await world.producer.enqueueMany(
      HOSTILE_CASES.map((c) => c.request),
      { strict: true },
    );
    expect(strict.counts.enqueued).toBe(0);
  });

  it('HTTP intake: POST /v1/takedowns answers 400 naming the field for every case', async () => {
    const misses: string[] = [];
    for (const c of HOSTILE_CASES) {
      const res = await postRaw(
        server.url,
        '/v1/takedowns',
        Buffer.from(JSON.stringify(c.request)),
      );
      const body = parse(res.text);
      const field = c.field === 'request' ? '(body)' : c.field;
      if (res.status !== 400)
        misses.push(`${c.name}: HTTP ${res.status} ${res.text.slice(0, 200)}`);
      else if (!names(body['fieldErrors'] as FieldErrorLike[] | undefined, field)) {
        misses.push(`${c.name}: does not name ${field}: ${res.text.slice(0, 300)}`);
      }
    }
    expect(misses).toEqual([]);
  });

  it('HTTP intake: POST /v1/batches rejects every item, naming the field', async () => {
    // Items with a prototype key are posted on their own below: they must not hide the rest.
    const items = HOSTILE_CASES.filter((c) => !PROTO_KEYS.includes(c.field));
    const res = await postRaw(
      server.url,
      '/v1/batches',
      Buffer.from(JSON.stringify(items.map((c) => c.request))),
    );
    expect(res.status, res.text.slice(0, 500)).toBe(202);
    const body = parse(res.text) as unknown as BatchBody;
    expect(body.counts).toMatchObject({ enqueued: 0, duplicates: 0, rejected: items.length });
    const misses = body.results.flatMap((r) => {
      const c = items[r.index];
      if (c === undefined) return [`unexpected index ${r.index}`];
      if (r.status !== 'rejected') return [`${c.name}: ${r.status}`];
      return names(r.errors, c.field) ? [] : [`${c.name}: ${JSON.stringify(r.errors)}`];
    });
    expect(misses).toEqual([]);
  });

  it('HTTP intake: malformed bodies (not JSON, invalid UTF-8, duplicate keys, too large, wrong type) are rejected', async () => {
    const raw: {
      name: string;
      path: string;
      body: Buffer;
      /** Accepted answers; default: 400. */
      status?: number[];
      says: RegExp;
      headers?: Record<string, string>;
      /** For a batch: a 202 is fine too when every item is rejected naming this field. */
      itemField?: string;
    }[] = [
      {
        name: 'not JSON',
        path: '/v1/takedowns',
        body: Buffer.from('region=na&sid=abc'),
        says: /JSON/i,
      },
      {
        name: 'truncated JSON',
        path: '/v1/takedowns',
        body: Buffer.from('{"region":"na","sid":"abc'),
        says: /JSON/i,
      },
      { name: 'empty body', path: '/v1/takedowns', body: Buffer.alloc(0), says: /body|JSON/i },
      {
        name: 'invalid UTF-8 in sid',
        path: '/v1/takedowns',
        body: Buffer.concat([
          Buffer.from('{"region":"na","sid":"ab'),
          Buffer.from([0xff, 0xfe]),
          Buffer.from('"}'),
        ]),
        says: /sid|UTF-8/,
      },
      {
        name: 'invalid UTF-8 in reason',
        path: '/v1/takedowns',
        body: Buffer.concat([
          Buffer.from('{"region":"na","sid":"utf8reason1","reason":"caf'),
          Buffer.from([0xc3, 0x28]),
          Buffer.from('"}'),
        ]),
        says: /reason|UTF-8/,
      },
      {
        name: 'duplicate key, hostile last',
        path: '/v1/takedowns',
        body: Buffer.from('{"region":"na","sid":"abc123","sid":"../x"}'),
        says: /sid/,
      },
      {
        name: '__proto__ key',
        path: '/v1/takedowns',
        body: Buffer.from('{"region":"na","sid":"abc123","__proto__":{"a":1}}'),
        says: /__proto__/,
      },
      {
        name: 'constructor.prototype key',
        path: '/v1/takedowns',
        body: Buffer.from('{"region":"na","sid":"abc123","constructor":{"prototype":{"a":1}}}'),
        says: /constructor/,
      },
      {
        name: 'batch with a __proto__ item',
        path: '/v1/batches',
        body: Buffer.from('[{"region":"na","sid":"abc123","__proto__":{"a":1}}]'),
        says: /__proto__/,
        itemField: '__proto__',
      },
      {
        name: 'batch with a constructor.prototype item',
        path: '/v1/batches',
        body: Buffer.from('[{"region":"na","sid":"abc123","constructor":{"prototype":{"a":1}}}]'),
        says: /constructor/,
        itemField: 'constructor',
      },
      {
        name: 'body over the limit',
        path: '/v1/takedowns',
        body: Buffer.from(
          JSON.stringify({ region: 'na', sid: 'abc123', reason: 'r'.repeat(BODY_LIMIT) }),
        ),
        status: [413],
        says: /limit/,
      },
      {
        name: 'batch not an array',
        path: '/v1/batches',
        body: Buffer.from('{"region":"na","sid":"abc123"}'),
        says: /array/,
      },
      { name: 'batch empty', path: '/v1/batches', body: Buffer.from('[]'), says: /1 to/ },
      {
        name: 'batch not JSON',
        path: '/v1/batches',
        body: Buffer.from('[{"region":"na",'),
        says: /JSON/i,
      },
      {
        name: 'wrong content type',
        path: '/v1/takedowns',
        body: Buffer.from('{"region":"na","sid":"abc123"}'),
        headers: { 'content-type': 'text/plain' },
        status: [400, 415],
        says: /content-type/i,
      },
    ];
    const misses: string[] = [];
    for (const c of raw) {
      const res = await postRaw(server.url, c.path, c.body, c.headers ?? {});
      if (c.itemField !== undefined && res.status === 202) {
        const body = parse(res.text) as unknown as BatchBody;
        const ok = body.results.every(
          (r) => r.status === 'rejected' && names(r.errors, c.itemField ?? ''),
        );
        if (!ok) misses.push(`${c.name}: HTTP 202 ${res.text.slice(0, 300)}`);
      } else if (!(c.status ?? [400]).includes(res.status) || !c.says.test(res.text)) {
        misses.push(`${c.name}: HTTP ${res.status} ${res.text.slice(0, 300)}`);
      }
    }
    expect(misses).toEqual([]);
  });

  it('CLI enqueue: every hostile command line exits 2 naming the flag, nothing printed on stdout', async () => {
    const runs = await inPool(
      HOSTILE_CLI_ARGS.map(
        ([, args]) =>
          () =>
            runTakedownCli(['enqueue', '--json', ...args], cliEnv()),
      ),
      3,
    );
    const misses: string[] = [];
    runs.forEach((run: CliRun, i) => {
      const [name, , says] = HOSTILE_CLI_ARGS[i] ?? ['?', [], /$^/];
      if (run.code !== 2 || !says.test(run.stderr) || run.stdout !== '') {
        misses.push(
          `${name}: exit ${run.code}, stdout ${JSON.stringify(run.stdout.slice(0, 200))}, stderr ${JSON.stringify(run.stderr.slice(0, 300))}`,
        );
      }
    });
    expect(misses).toEqual([]);
  });

  it('CLI batch: every bad row is rejected with its line and field; bad files exit 2 naming the problem', async () => {
    const files = hostileBatchFiles();
    for (const f of files) await writeFile(join(dir, f.file), f.content);
    const runs = await inPool(
      files.map((f) => () => runTakedownCli(['batch', join(dir, f.file), '--json'], cliEnv())),
      3,
    );
    const misses: string[] = [];
    files.forEach((f, i) => {
      const run = runs[i] as CliRun;
      if (f.fileError !== undefined) {
        if (run.code !== 2 || !f.fileError.test(run.stderr)) {
          misses.push(
            `${f.name}: exit ${run.code}, stderr ${JSON.stringify(run.stderr.slice(0, 400))}`,
          );
        }
        return;
      }
      if (run.code !== 1)
        misses.push(
          `${f.name}: exit ${run.code} (want 1: rows rejected); stderr ${run.stderr.slice(0, 300)}`,
        );
      let report: {
        total: number;
        enqueued: number;
        rejected: number;
        rejections: { line: number; field: string; message: string }[];
      };
      try {
        report = JSON.parse(run.stdout) as typeof report;
      } catch {
        misses.push(
          `${f.name}: --json printed no JSON document: ${run.stdout.slice(0, 200)} / ${run.stderr.slice(0, 300)}`,
        );
        return;
      }
      if (report.total !== f.rows || report.rejected !== f.rows || report.enqueued !== 0) {
        misses.push(
          `${f.name}: total ${report.total}, rejected ${report.rejected}, enqueued ${report.enqueued} (want ${f.rows} rejected)`,
        );
      }
      for (const e of f.expected) {
        const found = report.rejections.some(
          (r) =>
            r.line === e.line &&
            (typeof e.field === 'string' ? r.field === e.field : e.field.test(r.field)),
        );
        if (!found) {
          const got = report.rejections.filter((r) => r.line === e.line);
          misses.push(
            `${f.name} line ${e.line}: no rejection naming ${String(e.field)}; got ${JSON.stringify(got).slice(0, 300)}`,
          );
        }
      }
    });
    expect(misses).toEqual([]);
  });

  it('nothing was enqueued and the API was never called', async () => {
    // Give the worker a moment: anything that slipped into the queue would be picked up now.
    await new Promise((r) => setTimeout(r, 500));
    const counts = await world.queue.getJobCounts();
    expect(
      Object.values(counts).reduce((a, b) => a + b, 0),
      JSON.stringify(counts),
    ).toBe(0);
    expect(await world.dlq.count()).toBe(0);
    expect(await world.admin.calls(0)).toEqual([]);
    expect((await world.admin.stats()).calls).toBe(0);
    // The shared end-of-scenario check agrees: no takedown, no call, nothing live was touched.
    const report = await checkChaosInvariants({
      admin: world.admin,
      queue: world.queue,
      dlq: world.dlq,
      targets: [],
    });
    expect(report.violations, describeViolations(report)).toEqual([]);
    expect(worker.child.exitCode).toBeNull();
  });
});
