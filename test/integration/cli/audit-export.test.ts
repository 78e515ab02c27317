import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAuditStore, toRequestEvent } from '../../../src/audit/index.js';
import type { AuditEvent, AuditRecord } from '../../../src/audit/index.js';
import {
  parseTakedownRequest,
  streamKeyFingerprint,
  takedownJobId,
} from '../../../src/jobs/index.js';
import { APP_ID, createHarness } from '../producer/producer-harness.js';
import type { ProducerHarness } from '../producer/producer-harness.js';
import { runTakedown } from './run-takedown.js';
import type { TakedownRun } from './run-takedown.js';

const DAY = 86_400_000;
const dir = mkdtempSync(join(tmpdir(), 'takedown-cli-audit-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const MODERATION = {
  decisionGround: 'DECISION_GROUND_ILLEGAL_CONTENT',
  legalGround: 'StGB §130',
  category: 'STATEMENT_CATEGORY_ILLEGAL_OR_HARMFUL_SPEECH',
  facts: 'Live incitement, reported by a trusted flagger.',
  automatedDetection: false,
  automatedDecision: 'AUTOMATED_DECISION_NOT_AUTOMATED',
  territorialScope: ['DE'],
  sourceType: 'SOURCE_TRUSTED_FLAGGER',
};

/** A stream key long enough to show its ends when masked: the full key must never be printed. */
const STREAM_KEY = 'cli-audit-stream-key-canary-0123456789';

interface Seeded {
  /** Request times (ms) of the three records, a day apart, oldest first. */
  at: [number, number, number];
  jobIds: [string, string, string];
}

/**
 * Three takedown records written as the worker writes them (toRequestEvent + the audit store):
 * a taken-down request with moderation fields and a reason that needs CSV quoting; a
 * dead-lettered one with moderation fields; a taken-down key+SID one without them, whose
 * requester would run as a spreadsheet formula.
 */
async function seed(h: ProducerHarness): Promise<Seeded> {
  const store = createAuditStore({ redis: h.redis, prefix: h.prefix, retentionDays: 400 });
  const base = Math.floor((Date.now() - 10 * DAY) / DAY) * DAY + 3_600_000;
  const at: Seeded['at'] = [base, base + DAY, base + 2 * DAY];
  const requests = [
    { sid: 'cli-audit-a', requestedBy: 'alice', reason: 'hate speech, "live"', ...MODERATION },
    { sid: 'cli-audit-b', requestedBy: 'bob', reason: 'incitement', ...MODERATION },
    { sid: 'cli-audit-c', streamKey: STREAM_KEY, requestedBy: '=cmd|calc', reason: 'sweep' },
  ];
  const jobIds: string[] = [];
  for (const [i, request] of requests.entries()) {
    const t = at[i] as number;
    const parsed = parseTakedownRequest(
      { region: 'na', ...request },
      { defaultAppId: APP_ID, now: () => new Date(t) },
    );
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
    const jobId = takedownJobId(parsed.value);
    jobIds.push(jobId);
    const { event, requestedAt } = toRequestEvent(jobId, parsed.value, '', t);
    const events: AuditEvent[] =
      i === 1
        ? [
            {
              e: 'x',
              t: t + 900,
              r: 'permanent',
              fs: 'disconnect',
              a: 1,
              err: { name: 'AgoraHttpError', status: 403, message: 'Forbidden', requestId: 'rq-b' },
            },
          ]
        : [
            { e: 's', t: t + 100, s: 'disconnect', d: 40 },
            { e: 'c', t: t + 140, o: 'disconnect', r: 'na', st: 200, id: `rq-${i}` },
            { e: 'o', t: t + 200, o: 'taken-down', kr: false, dc: 1 },
          ];
    await store.append({ request: event, requestedAt, events });
  }
  return { at, jobIds: jobIds as Seeded['jobIds'] };
}

const lines = (text: string): string[] => text.split('\n').filter((l) => l !== '');
const iso = (ms: number): string => new Date(ms).toISOString();

function expectClean(run: TakedownRun, what: string): void {
  expect(run.stdout + run.stderr, what).not.toContain(STREAM_KEY);
}

let h: ProducerHarness;
let env: Record<string, string>;
beforeEach(async () => {
  h = await createHarness('cli-audit');
  env = { REDIS_URL: h.url, TAKEDOWN_PREFIX: h.prefix, AGORA_APP_ID: APP_ID };
});
afterEach(async () => {
  await h.close();
});

describe('takedown audit export (built binary, real Redis)', () => {
  it('writes JSONL to stdout, CSV and DSA to --out FILE, oldest first, with a summary on stderr', async () => {
    const { jobIds } = await seed(h);
    const csvFile = join(dir, 'audit.csv');
    const dsaFile = join(dir, 'statements.jsonl');
    const [jsonl, csv, dsa] = await Promise.all([
      runTakedown(['audit', 'export'], { env }),
      runTakedown(['audit', 'export', '--format', 'csv', '--out', csvFile], { env }),
      runTakedown(['audit', 'export', '--format', 'dsa', '--out', dsaFile], { env }),
    ]);

    expect(jsonl.code, jsonl.stderr).toBe(0);
    const records = lines(jsonl.stdout).map((l) => JSON.parse(l) as AuditRecord);
    expect(records.map((r) => r.jobId)).toEqual(jobIds);
    expect(records.map((r) => [r.requestedBy, r.outcome])).toEqual([
      ['alice', 'taken-down'],
      ['bob', 'dead-lettered'],
      ['=cmd|calc', 'taken-down'],
    ]);
    expect(records[0]).toMatchObject({ reason: 'hate speech, "live"', ...MODERATION });
    expect(records[1]?.deadLetter).toMatchObject({
      failedStep: 'disconnect',
      error: { status: 403 },
    });
    // Masked, with the fingerprint the job ids carry (so a record can be matched to its key).
    expect(records[2]).toMatchObject({
      streamKey: 'cli-…789',
      streamKeyFingerprint: streamKeyFingerprint(APP_ID, STREAM_KEY),
    });
    expect(jsonl.stderr).toMatch(/exported 3 takedown record\(s\)/);
    expectClean(jsonl, 'jsonl');

    expect(csv.code, csv.stderr).toBe(0);
    expect(csv.stdout).toBe('');
    expect(csv.stderr).toMatch(/exported 3 takedown record\(s\)/);
    const rows: Record<string, string>[] = parse(readFileSync(csvFile, 'utf8'), { columns: true });
    expect(rows.map((r) => r['jobId'])).toEqual(jobIds);
    expect(rows[0]?.['reason']).toBe('hate speech, "live"');
    expect(rows[0]?.['territorialScope']).toBe('DE');
    expect(rows[1]?.['error']).toBe('AgoraHttpError 403: Forbidden (X-Request-ID rq-b)');
    // A requester a spreadsheet would run as a formula is neutralised.
    expect(rows[2]?.['requestedBy']).toBe("'=cmd|calc");
    expect(readFileSync(csvFile, 'utf8')).not.toContain(STREAM_KEY);
    expectClean(csv, 'csv');

    // Only the taken-down request with moderation fields makes a statement of reasons.
    expect(dsa.code, dsa.stderr).toBe(0);
    expect(dsa.stdout).toBe('');
    const statements = lines(readFileSync(dsaFile, 'utf8')).map(
      (l) => JSON.parse(l) as Record<string, unknown>,
    );
    expect(statements).toHaveLength(1);
    expect(statements[0]).toMatchObject({
      decision_ground: 'DECISION_GROUND_ILLEGAL_CONTENT',
      illegal_content_legal_ground: 'StGB §130',
      illegal_content_explanation: 'hate speech, "live"',
      source_type: 'SOURCE_TRUSTED_FLAGGER',
      automated_detection: 'No',
      territorial_scope: ['DE'],
    });
    expect(dsa.stderr).toMatch(
      /exported 1 statement\(s\) of reasons; without a statement: 1 outcome dead-lettered, 1 no moderation fields/,
    );
  });

  it('--since is inclusive, --until exclusive; a date alone is midnight UTC', async () => {
    const { at, jobIds } = await seed(h);
    const ids = (run: TakedownRun): string[] => {
      expect(run.code, run.stderr).toBe(0);
      return lines(run.stdout).map((l) => (JSON.parse(l) as AuditRecord).jobId);
    };
    const [middle, fromSecond, untilSecond, byDate, none] = await Promise.all([
      runTakedown(['audit', 'export', '--since', iso(at[1]), '--until', iso(at[2])], { env }),
      runTakedown(['audit', 'export', '--since', iso(at[1])], { env }),
      runTakedown(['audit', 'export', '--until', iso(at[1])], { env }),
      // Records are at 01:00 UTC: the second one's day holds only it.
      runTakedown(
        ['audit', 'export', '--since', iso(at[1]).slice(0, 10), '--until', iso(at[2]).slice(0, 10)],
        { env },
      ),
      runTakedown(['audit', 'export', '--since', iso(at[2] + 1)], { env }),
    ]);
    expect(ids(middle)).toEqual([jobIds[1]]);
    expect(ids(fromSecond)).toEqual([jobIds[1], jobIds[2]]);
    expect(ids(untilSecond)).toEqual([jobIds[0]]);
    expect(ids(byDate)).toEqual([jobIds[1]]);
    expect(ids(none)).toEqual([]);
    expect(none.stderr).toMatch(/exported 0 takedown record\(s\)/);
  });

  it('bad flags exit 2 naming the flag and what is allowed; nothing is written', async () => {
    await seed(h);
    const out = join(dir, 'never.jsonl');
    const cases: [string[], RegExp][] = [
      [['--format', 'xml'], /--format.*'xml'.*jsonl, csv, dsa/],
      [['--since', 'yesterday'], /--since must be an ISO 8601 date or time such as 2026-01-31/],
      [['--until', '2026-13-45'], /--until must be an ISO 8601 date or time/],
      [['--since', '2026-02-01', '--until', '2026-01-01'], /--until must be later than --since/],
    ];
    const runs = await Promise.all(
      cases.map(([args]) => runTakedown(['audit', 'export', ...args, '--out', out], { env })),
    );
    runs.forEach((run, i) => {
      const [args, message] = cases[i] as [string[], RegExp];
      expect({ args, code: run.code }).toEqual({ args, code: 2 });
      expect(run.stderr, args.join(' ')).toMatch(message);
      expect(run.stdout, args.join(' ')).toBe('');
    });
    expect(() => readFileSync(out)).toThrow(/ENOENT/);
  });

  it('an --out FILE that cannot be written exits 1 and says which file', async () => {
    await seed(h);
    const out = join(dir, 'no-such-dir', 'audit.jsonl');
    const run = await runTakedown(['audit', 'export', '--out', out], { env });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`cannot write ${out}`);
    expect(run.stdout).toBe('');
  });
});
