import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { takedownJobId } from '../../../src/jobs/index.js';
import { APP_ID, createHarness } from '../producer/producer-harness.js';
import type { ProducerHarness } from '../producer/producer-harness.js';
import { jsonOf, runTakedown } from './run-takedown.js';

const dir = mkdtempSync(join(tmpdir(), 'takedown-cli-batch-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
function file(name: string, content: string): string {
  const path = join(dir, `${n++}-${name}`);
  writeFileSync(path, content);
  return path;
}

const HEADER = 'sid,streamKey,region,appId,channel,reason';

/** 15 data rows (lines 2–16): 10 valid, 5 invalid on lines 4, 7, 10, 13, 16. */
function mixedCsv(): { path: string; validSids: string[]; badLines: number[] } {
  const lines = [HEADER];
  const validSids: string[] = [];
  const bad: Record<number, string> = {
    4: 'sid-x,,mars,,,', // region
    7: ',,na,,lobby,no target', // neither sid nor streamKey
    10: 'sid-y,,na,not an app id,,', // appId
    13: `sid-z,,na,,,${'r'.repeat(501)}`, // reason too long
    16: 'bad/sid,,eu,,,', // sid characters
  };
  for (let line = 2; line <= 16; line++) {
    const row = bad[line];
    if (row !== undefined) {
      lines.push(row);
    } else {
      const sid = `batch-sid-${line}`;
      validSids.push(sid);
      lines.push(`${sid},,na,,lobby,policy sweep`);
    }
  }
  return {
    path: file('mixed.csv', `${lines.join('\n')}\n`),
    validSids,
    badLines: Object.keys(bad).map(Number),
  };
}

async function jobCount(h: ProducerHarness): Promise<number> {
  const counts = await h.queue.getJobCounts('waiting', 'prioritized', 'delayed');
  return Object.values(counts).reduce((a, b) => a + b, 0);
}

describe('takedown batch (built binary, real Redis)', () => {
  let h: ProducerHarness;
  let env: Record<string, string>;
  beforeEach(async () => {
    h = await createHarness('cli-batch');
    env = { REDIS_URL: h.url, TAKEDOWN_PREFIX: h.prefix, AGORA_APP_ID: APP_ID };
  });
  afterEach(async () => {
    await h.close();
  });

  it('10 valid + 5 invalid rows: exit 1, 10 enqueued under one batch, 5 line-numbered reasons', async () => {
    const { path, validSids, badLines } = mixedCsv();
    const run = await runTakedown(['batch', path], { env });
    expect(run.code).toBe(1);
    const batchId = /^batch (b-\S+): 15 rows read: 10 enqueued, 0 duplicates, 5 rejected$/m.exec(
      run.stdout,
    )?.[1];
    expect(batchId, run.stdout + run.stderr).toBeDefined();

    const rejections = run.stderr.split('\n').filter((l) => /^takedown: line \d+: /.test(l));
    expect(rejections.map((l) => Number(/line (\d+):/.exec(l)?.[1]))).toEqual(badLines);
    expect(rejections[0]).toMatch(
      /^takedown: line 4: region: region must be one of na, eu, ap, cn/,
    );
    expect(rejections[1]).toMatch(/^takedown: line 7: sid: sid or streamKey is required/);
    expect(rejections[2]).toMatch(/^takedown: line 10: appId: appId must be/);
    expect(rejections[3]).toMatch(/^takedown: line 13: reason: reason is 501 characters long/);
    expect(rejections[4]).toMatch(/^takedown: line 16: sid: sid must be/);

    expect(await jobCount(h)).toBe(10);
    for (const sid of validSids) {
      const job = await h.queue.getJob(takedownJobId({ appId: APP_ID, sid }));
      expect(job?.data.payload).toMatchObject({ sid, region: 'na', batchId, priority: 'bulk' });
    }

    // The same file again: nothing is queued twice; --json says so.
    const again = await runTakedown(['batch', path, '--json'], { env });
    expect(again.code).toBe(1);
    const report = jsonOf(again);
    expect(report).toMatchObject({
      batchId: expect.stringMatching(/^b-/) as string,
      dryRun: false,
      total: 15,
      enqueued: 0,
      duplicates: 10,
      rejected: 5,
    });
    expect(report['rejections']).toHaveLength(5);
    for (const r of report['rejections'] as Record<string, unknown>[]) {
      expect(Object.keys(r).sort()).toEqual(['field', 'line', 'message']);
    }
    expect(again.stdout.trim().split('\n')).toHaveLength(1); // one document, no progress noise
    expect(await jobCount(h)).toBe(10);

    // The batch's own status agrees.
    const status = await runTakedown(['status', '--batch', batchId as string, '--json'], { env });
    expect(status.code).toBe(0);
    expect(jsonOf(status)).toMatchObject({ kind: 'batch', batchId, total: 10, rejected: 5 });
  });

  it('--strict and --dry-run enqueue nothing when a row is invalid; --strict enqueues a clean file', async () => {
    const { path } = mixedCsv();
    const clean = file('clean.csv', `${HEADER}\nstrict-1,,na,,,\n,strict-key-2,eu,,,\n`);
    const [strict, dryRun, dryClean] = await Promise.all([
      runTakedown(['batch', path, '--strict', '--json'], { env }),
      runTakedown(['batch', path, '--dry-run'], { env }),
      runTakedown(['batch', clean, '--dry-run', '--json'], { env }),
    ]);
    expect(strict.code).toBe(1);
    expect(jsonOf(strict)).toMatchObject({ batchId: null, strict: true, enqueued: 0, rejected: 5 });
    expect(dryRun.code).toBe(1);
    expect(dryRun.stdout).toMatch(
      /dry run: 15 rows read: 10 valid, 5 rejected; nothing was enqueued/,
    );
    expect(dryRun.stderr).toMatch(/line 16: sid:/);
    expect(dryClean.code).toBe(0);
    expect(jsonOf(dryClean)).toMatchObject({ dryRun: true, total: 2, valid: 2, enqueued: 0 });
    expect(await jobCount(h)).toBe(0);

    const strictClean = await runTakedown(['batch', clean, '--strict', '--priority', 'urgent'], {
      env,
    });
    expect(strictClean.code).toBe(0);
    expect(strictClean.stdout).toMatch(/2 rows read: 2 enqueued, 0 duplicates, 0 rejected/);
    const job = await h.queue.getJob(takedownJobId({ appId: APP_ID, streamKey: 'strict-key-2' }));
    expect(job?.data.payload).toMatchObject({ region: 'eu', priority: 'urgent' });
  });

  it('reads CSV edge cases: BOM, CRLF, quoted commas and quotes, a multi-line reason', async () => {
    const path = file(
      'edge.csv',
      '\uFEFF' +
        [
          'region,SID,streamKey,reason',
          'na,edge-1,,"policy ""4.2"", see ticket 88"',
          'eu,,edge-key-2,"first line',
          'second line"',
          ',,,',
          'ap,edge-3,edge-key-3,',
          'na,edge-4,,"stray "quote" here"',
        ].join('\r\n') +
        '\r\n',
    );
    const run = await runTakedown(['batch', path, '--json'], { env });
    const report = jsonOf(run);
    expect(report).toMatchObject({ total: 4, enqueued: 3, rejected: 1 });
    expect(report['rejections']).toEqual([
      { line: 7, field: 'csv', message: expect.stringMatching(/closing quote/) as string },
    ]);
    expect(run.code).toBe(1);
    const payload = async (ref: { sid?: string; streamKey?: string }): Promise<unknown> =>
      (await h.queue.getJob(takedownJobId({ appId: APP_ID, ...ref })))?.data.payload;
    expect(await payload({ sid: 'edge-1' })).toMatchObject({
      region: 'na',
      reason: 'policy "4.2", see ticket 88',
    });
    expect(await payload({ streamKey: 'edge-key-2' })).toMatchObject({
      region: 'eu',
      reason: 'first line second line',
    });
    expect(await payload({ sid: 'edge-3' })).toMatchObject({
      region: 'ap',
      streamKey: 'edge-key-3',
    });
  });

  it('reads JSONL, naming the line of a bad one', async () => {
    const path = file(
      'rows.jsonl',
      [
        '{"sid":"jsonl-1","region":"na"}',
        '',
        '{"sid":"jsonl-2","region":"eu","priority":"urgent","reason":"from a script"}',
        '{"sid":"jsonl-3","region":"na"',
        '{"sid":"jsonl-4","region":"na","colour":"red"}',
      ].join('\n'),
    );
    const run = await runTakedown(['batch', path, '--json'], { env });
    expect(run.code).toBe(1);
    const report = jsonOf(run);
    expect(report).toMatchObject({ total: 4, enqueued: 2, rejected: 2 });
    expect(report['rejections']).toEqual([
      { line: 4, field: 'json', message: expect.stringMatching(/^not valid JSON/) as string },
      {
        line: 5,
        field: 'colour',
        message: expect.stringMatching(/unknown field colour/) as string,
      },
    ]);
    const job = await h.queue.getJob(takedownJobId({ appId: APP_ID, sid: 'jsonl-2' }));
    expect(job?.data.payload).toMatchObject({ priority: 'urgent', reason: 'from a script' });
  });

  it('reads extraRegions from a CSV column and a JSONL array; a bad region is rejected naming line and field', async () => {
    const csvPath = file(
      'regions.csv',
      [
        'sid,region,extraRegions',
        'mr-1,na,eu;ap',
        'mr-2,na,eu;us',
        'mr-3,na,"eu,cn"',
        'mr-4,eu,',
      ].join('\n') + '\n',
    );
    const run = await runTakedown(['batch', csvPath, '--json'], { env });
    expect(run.code).toBe(1);
    expect(jsonOf(run)).toMatchObject({ total: 4, enqueued: 3, rejected: 1 });
    expect(jsonOf(run)['rejections']).toEqual([
      {
        line: 3,
        field: 'extraRegions',
        message: expect.stringMatching(
          /^extraRegions must hold .*one of na, eu, ap, cn.*got "us"/,
        ) as string,
      },
    ]);
    const payloadOf = async (sid: string) =>
      (await h.queue.getJob(takedownJobId({ appId: APP_ID, sid })))?.data.payload;
    expect((await payloadOf('mr-1'))?.extraRegions).toEqual(['eu', 'ap']);
    expect((await payloadOf('mr-3'))?.extraRegions).toEqual(['eu', 'cn']);
    expect(await payloadOf('mr-4')).not.toHaveProperty('extraRegions');

    const jsonl = file(
      'regions.jsonl',
      '{"sid":"mr-5","region":"ap","extraRegions":["na","ap"]}\n',
    );
    expect((await runTakedown(['batch', jsonl, '--json'], { env })).code).toBe(0);
    expect((await payloadOf('mr-5'))?.extraRegions).toEqual(['na']);
  });
});
