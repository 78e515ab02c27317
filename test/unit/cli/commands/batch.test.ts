import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MAX_REPORTED_REJECTIONS } from '../../../../src/cli/commands/batch.js';
import { APP_ID, NO_REDIS, run } from './run-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'takedown-batch-cmd-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
function file(name: string, content: string): string {
  const path = join(dir, `${n++}-${name}`);
  writeFileSync(path, content);
  return path;
}

const HEADER = 'sid,streamKey,region,appId,channel,reason';

describe('takedown batch --dry-run (validates only: no Redis needed)', () => {
  it('counts valid and rejected rows and names each rejection by line and field', async () => {
    const path = file(
      'mixed.csv',
      [
        HEADER,
        's1,,na,,,ok',
        ',k2,eu,,lobby,"multi',
        'line reason"',
        's3,,mars,,,',
        ',,na,,,',
        's5,,na,not-an-app-id!,,',
      ].join('\r\n'),
    );
    const result = await run(['batch', path, '--dry-run', '--json'], NO_REDIS);
    expect(result.code).toBe(1);
    const report = JSON.parse(result.stdout) as Record<string, unknown>;
    expect(report).toMatchObject({
      batchId: null,
      dryRun: true,
      total: 5,
      valid: 2,
      enqueued: 0,
      duplicates: 0,
      rejected: 3,
    });
    expect(report['rejections']).toEqual([
      {
        line: 5,
        field: 'region',
        message: expect.stringMatching(/region must be one of/) as string,
      },
      {
        line: 6,
        field: 'sid',
        message: expect.stringMatching(/sid or streamKey is required/) as string,
      },
      { line: 7, field: 'appId', message: expect.stringMatching(/appId must be/) as string },
    ]);
  });

  it('prints rejections on stderr as "line N: field: reason" and a summary on stdout', async () => {
    const path = file('bad.jsonl', '{"sid":"s1","region":"na"}\n{"sid":"s2"}\nnot json\n');
    const result = await run(['batch', path, '--dry-run'], NO_REDIS);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('dry run: 3 rows read: 1 valid, 2 rejected; nothing was enqueued\n');
    expect(result.stderr).toMatch(/^takedown: line 2: region: region is required/m);
    expect(result.stderr).toMatch(/^takedown: line 3: json: not valid JSON/m);
  });

  it('exits 0 when every row is valid; an empty appId cell means AGORA_APP_ID', async () => {
    const path = file('ok.csv', `${HEADER}\ns1,,na,,,\n,k2,eu,,,\n`);
    const result = await run(['batch', path, '--dry-run', '--json'], NO_REDIS);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ total: 2, valid: 2, rejected: 0 });
    const noDefault = await run(['batch', path, '--dry-run', '--json'], {
      REDIS_URL: NO_REDIS.REDIS_URL,
    });
    expect(JSON.parse(noDefault.stdout)).toMatchObject({ valid: 0, rejected: 2 });
    expect(noDefault.stdout).toMatch(/set AGORA_APP_ID/);
  });

  it('caps the listed rejections and counts the rest', async () => {
    const rows = Array.from({ length: MAX_REPORTED_REJECTIONS + 5 }, (_, i) => `s${i},,mars,,,`);
    const path = file('many.csv', `${HEADER}\n${rows.join('\n')}\n`);
    const result = await run(['batch', path, '--dry-run', '--json'], NO_REDIS);
    const report = JSON.parse(result.stdout) as {
      rejections: unknown[];
      rejectionsOmitted: number;
    };
    expect(report.rejections).toHaveLength(MAX_REPORTED_REJECTIONS);
    expect(report.rejectionsOmitted).toBe(5);
  });

  it('lets --priority apply to every row and checks it', async () => {
    const path = file(
      'p.jsonl',
      `{"sid":"s1","region":"na","appId":"${APP_ID}","priority":"urgent"}\n`,
    );
    expect((await run(['batch', path, '--dry-run', '--priority', 'normal'], NO_REDIS)).code).toBe(
      0,
    );
    const bad = await run(['batch', path, '--dry-run', '--priority', 'asap'], NO_REDIS);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--priority.*urgent, normal, bulk/);
  });
});

describe('takedown batch: file and usage errors exit 2', () => {
  it.each([
    ['a missing file', () => join(dir, 'missing.csv'), [], /missing\.csv: no such file/],
    ['an empty file', () => file('empty.csv', ''), [], /is empty/],
    [
      'a CSV without its header',
      () => file('nohead.csv', 's1,,na,,,\n'),
      [],
      /header row is not valid/,
    ],
    ['an unknown extension', () => file('rows.txt', `${HEADER}\n`), [], /--format csv\|jsonl/],
    [
      'an unknown --format',
      () => file('rows2.txt', `${HEADER}\n`),
      ['--format', 'xml'],
      /--format/,
    ],
    ['a binary file', () => file('bin.csv', '\u0000\u0001\u0002'), [], /not a text file/],
    [
      'CSV read as JSONL',
      () => file('x.csv', `${HEADER}\ns1,,na,,,\n`),
      ['--format', 'jsonl'],
      /is this a JSONL file/,
    ],
  ])('%s', async (_label, makePath, extra, message) => {
    const result = await run(['batch', makePath(), ...extra, '--json'], NO_REDIS);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stdout).toBe('');
  });

  it('needs the FILE argument', async () => {
    const result = await run(['batch'], NO_REDIS);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/missing required argument 'file'/);
  });

  it('exits 1 naming Redis (password masked) when it cannot enqueue', async () => {
    const path = file('ok2.csv', `${HEADER}\ns1,,na,,,\n`);
    const result = await run(['batch', path], {
      ...NO_REDIS,
      REDIS_URL: 'redis://:hunter2@127.0.0.1:1',
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /cannot enqueue the batch: Redis unreachable at redis:\/\/:\*\*\*@127\.0\.0\.1:1/,
    );
    expect(result.stderr).not.toMatch(/hunter2/);
  });
});
