import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  BatchFileError,
  detectBatchFormat,
  inspectBatchFile,
  readBatchFile,
} from '../../../src/batch/index.js';
import type { BatchRow, ReadBatchFileOptions } from '../../../src/batch/index.js';

const dir = mkdtempSync(join(tmpdir(), 'takedown-batch-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
function file(name: string, content: string | Buffer): string {
  const path = join(dir, `${n++}-${name}`);
  writeFileSync(path, content);
  return path;
}

async function rows(path: string, options: ReadBatchFileOptions = {}): Promise<BatchRow[]> {
  const out: BatchRow[] = [];
  for await (const row of readBatchFile(path, options)) out.push(row);
  return out;
}

async function fileError(
  path: string,
  options: ReadBatchFileOptions = {},
): Promise<BatchFileError> {
  try {
    await rows(path, options);
  } catch (err) {
    expect(err).toBeInstanceOf(BatchFileError);
    return err as BatchFileError;
  }
  throw new Error(`expected ${path} to be refused`);
}

const HEADER = 'sid,streamKey,region,appId,channel,reason';

describe('readBatchFile: CSV', () => {
  it('reads records keyed by column, leaving empty cells out, with the header as line 1', async () => {
    const path = file('a.csv', `${HEADER}\ns1,,na,,,policy\n,k2,eu,0123abcd,lobby,\n`);
    expect(await rows(path)).toEqual([
      { line: 2, record: { sid: 's1', region: 'na', reason: 'policy' } },
      { line: 3, record: { streamKey: 'k2', region: 'eu', appId: '0123abcd', channel: 'lobby' } },
    ]);
  });

  it('keeps quoted commas and doubled quotes inside a field', async () => {
    const path = file('q.csv', `sid,region,reason\ns1,na,"a, b and ""c"""\n`);
    expect(await rows(path)).toEqual([
      { line: 2, record: { sid: 's1', region: 'na', reason: 'a, b and "c"' } },
    ]);
  });

  it('reports the line a multi-line quoted record starts on, and counts its lines after it', async () => {
    const path = file('ml.csv', `sid,region,reason\ns1,na,"one\ntwo\nthree"\ns2,na,x\n`);
    expect(await rows(path)).toEqual([
      { line: 2, record: { sid: 's1', region: 'na', reason: 'one\ntwo\nthree' } },
      { line: 5, record: { sid: 's2', region: 'na', reason: 'x' } },
    ]);
  });

  it('handles CRLF line ends, also inside quoted fields (each CRLF is one line)', async () => {
    const path = file('crlf.csv', `sid,region,reason\r\ns1,na,"a\r\nb"\r\n\r\ns2,eu,y\r\n`);
    expect(await rows(path)).toEqual([
      { line: 2, record: { sid: 's1', region: 'na', reason: 'a\r\nb' } },
      { line: 5, record: { sid: 's2', region: 'eu', reason: 'y' } },
    ]);
  });

  it('skips a UTF-8 BOM and leading blank lines without shifting line numbers', async () => {
    const path = file('bom.csv', `\uFEFF\n  \nsid , Region\ns1,na`);
    expect(await rows(path)).toEqual([{ line: 4, record: { sid: 's1', region: 'na' } }]);
  });

  it('matches header names case-insensitively and in any order', async () => {
    const path = file('order.csv', 'REGION,StreamKey\nna,k1\n');
    expect(await rows(path)).toEqual([{ line: 2, record: { region: 'na', streamKey: 'k1' } }]);
  });

  it('skips rows whose cells are all empty (spreadsheet exports) but keeps counting lines', async () => {
    const path = file('empty-cells.csv', 'sid,region\n,\ns1,na\n');
    expect(await rows(path)).toEqual([{ line: 3, record: { sid: 's1', region: 'na' } }]);
  });

  it('turns a row with the wrong number of fields into a row error and reads on', async () => {
    const path = file('count.csv', 'sid,region\ns1,na\ns2,na,extra\ns3,eu\n');
    const got = await rows(path);
    expect(got).toHaveLength(3);
    expect(got[1]).toEqual({
      line: 3,
      error: {
        field: 'csv',
        message: expect.stringMatching(/3 fields but the header has 2/) as string,
      },
    });
    expect(got[2]).toEqual({ line: 4, record: { sid: 's3', region: 'eu' } });
  });

  it('reports a stray quote as a row error on its line (relax_quotes is off)', async () => {
    const path = file('quote.csv', 'sid,region\ns1,na\ns2,"na"x\n');
    const got = await rows(path);
    expect(got[0]).toEqual({ line: 2, record: { sid: 's1', region: 'na' } });
    expect(got[1]).toMatchObject({ line: 3, error: { field: 'csv' } });
    expect(got[1]?.error?.message).toMatch(/closing quote/);
  });

  it('makes invalid UTF-8 a row error naming the column', async () => {
    const bytes = Buffer.concat([
      Buffer.from('sid,region,reason\ns1,na,fine\ns2,na,bad'),
      Buffer.from([0xff, 0xfe]),
      Buffer.from('\n'),
    ]);
    const got = await rows(file('utf8.csv', bytes));
    expect(got[0]).toEqual({ line: 2, record: { sid: 's1', region: 'na', reason: 'fine' } });
    expect(got[1]).toEqual({
      line: 3,
      error: { field: 'reason', message: expect.stringMatching(/not valid UTF-8/) as string },
    });
  });

  it('gives the same line numbers whatever the chunk boundaries', async () => {
    const text = `\uFEFF${HEADER}\r\n${Array.from({ length: 50 }, (_, i) => `s${i},,na,,,"r\r\n${i}"`).join('\r\n')}\r\n`;
    const path = file('chunks.csv', text);
    const whole = await rows(path);
    const tiny = await rows(path, { chunkBytes: 7 });
    expect(tiny).toEqual(whole);
    expect(whole.map((r) => r.line)).toEqual(Array.from({ length: 50 }, (_, i) => 2 + 2 * i));
  });

  it.each([
    ['an unknown column', 'sid,region,colour\ns1,na,red\n', /unknown column\(s\) "colour"/],
    ['a duplicate column', 'sid,region,SID\ns1,na,s1\n', /duplicate column\(s\) "SID"/],
    ['no region column', 'sid,channel\ns1,c\n', /no region column/],
    ['neither sid nor streamKey', 'region,channel\nna,c\n', /no sid or streamKey column/],
    ['a data row instead of a header', 's1,na\ns2,na\n', /line 1: the header row is not valid/],
  ])('refuses a header with %s, naming it', async (_label, content, pattern) => {
    const err = await fileError(file('header.csv', content));
    expect(err.message).toMatch(pattern);
    expect(err.message).toMatch(/sid,streamKey,region,appId,channel,reason/);
  });

  it('refuses a file with a header but no rows', async () => {
    const err = await fileError(file('header-only.csv', `${HEADER}\r\n\r\n`));
    expect(err.message).toMatch(/header row but no data rows/);
  });

  it('refuses an over-long record (an unclosed quote running to the end) as a file error', async () => {
    const path = file('long.csv', `sid,region\ns1,"na\n${'x,'.repeat(2000)}\n`);
    const err = await fileError(path, { maxRowBytes: 1000 });
    expect(err.message).toMatch(/line 2: a row is longer than 1000 bytes/);
  });
});

describe('readBatchFile: JSONL', () => {
  it('reads one object per line, skipping blank lines, line 1 first', async () => {
    const path = file(
      'a.jsonl',
      '{"sid":"s1","region":"na"}\n\n  \n{"streamKey":"k","region":"eu"}',
    );
    expect(await rows(path)).toEqual([
      { line: 1, record: { sid: 's1', region: 'na' } },
      { line: 4, record: { streamKey: 'k', region: 'eu' } },
    ]);
  });

  it('handles CRLF and a BOM', async () => {
    const path = file(
      'b.ndjson',
      '\uFEFF{"sid":"s1","region":"na"}\r\n{"sid":"s2","region":"na"}\r\n',
    );
    expect(await rows(path)).toEqual([
      { line: 1, record: { sid: 's1', region: 'na' } },
      { line: 2, record: { sid: 's2', region: 'na' } },
    ]);
  });

  it('makes a bad line a row error naming the line, and reads on', async () => {
    const path = file(
      'bad.jsonl',
      '{"sid":"s1","region":"na"}\n{"sid": oops}\n[1,2]\n{"sid":"s4","region":"na"}\n',
    );
    const got = await rows(path);
    expect(got.map((r) => r.line)).toEqual([1, 2, 3, 4]);
    expect(got[1]).toEqual({
      line: 2,
      error: { field: 'json', message: expect.stringMatching(/^not valid JSON/) as string },
    });
    expect(got[2]).toEqual({
      line: 3,
      error: {
        field: 'json',
        message: expect.stringMatching(/must be a JSON object.*got an array/) as string,
      },
    });
    expect(got[3]).toEqual({ line: 4, record: { sid: 's4', region: 'na' } });
  });

  it('makes invalid UTF-8 a row error for that line', async () => {
    const bytes = Buffer.concat([
      Buffer.from('{"sid":"s1","region":"na"}\n{"sid":"'),
      Buffer.from([0xc3, 0x28]),
      Buffer.from('","region":"na"}\n'),
    ]);
    const got = await rows(file('utf8.jsonl', bytes));
    expect(got[1]).toEqual({
      line: 2,
      error: { field: 'encoding', message: expect.stringMatching(/not valid UTF-8/) as string },
    });
  });

  it('makes an over-long line a row error without holding it', async () => {
    const path = file(
      'long.jsonl',
      `{"sid":"s1","region":"na"}\n{"reason":"${'x'.repeat(5000)}"}\n{"sid":"s3","region":"na"}\n`,
    );
    const got = await rows(path, { maxRowBytes: 1000, chunkBytes: 256 });
    expect(got).toEqual([
      { line: 1, record: { sid: 's1', region: 'na' } },
      { line: 2, error: { field: 'json', message: 'the line is longer than 1000 bytes' } },
      { line: 3, record: { sid: 's3', region: 'na' } },
    ]);
  });

  it('refuses a file whose first line is not a JSON object: it is not JSONL', async () => {
    const err = await fileError(file('csv-as.jsonl', `${HEADER}\ns1,,na,,,\n`));
    expect(err.message).toMatch(/line 1: not valid JSON.*is this a JSONL file/);
  });
});

describe('readBatchFile: the file as a whole', () => {
  it('refuses a missing file', async () => {
    const err = await fileError(join(dir, 'nope.csv'));
    expect(err.message).toMatch(/nope\.csv: no such file/);
  });

  it('refuses an empty file', async () => {
    expect((await fileError(file('empty.csv', ''))).message).toMatch(/is empty/);
    expect((await fileError(file('blank.jsonl', '\n \n'))).message).toMatch(/is empty/);
  });

  it('refuses a directory', async () => {
    expect((await fileError(dir.concat('/'), { format: 'csv' })).message).toMatch(/directory/);
  });

  it('refuses a binary file', async () => {
    const path = file('bin.csv', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0x0a, 0x00]));
    expect((await fileError(path)).message).toMatch(/not a text file/);
  });

  it('picks the format from the extension unless told', () => {
    expect(detectBatchFormat('x/y.CSV')).toBe('csv');
    expect(detectBatchFormat('y.jsonl')).toBe('jsonl');
    expect(detectBatchFormat('y.ndjson')).toBe('jsonl');
    expect(detectBatchFormat('y.txt', 'csv')).toBe('csv');
    expect(() => detectBatchFormat('y.txt')).toThrow(/--format csv\|jsonl/);
    expect(() => detectBatchFormat('y.json')).toThrow(/not a JSON document/);
  });

  it('inspects a file: format, size, whether it can be read twice', async () => {
    const path = file('i.csv', `${HEADER}\ns1,,na,,,\n`);
    await expect(inspectBatchFile(path)).resolves.toEqual({
      format: 'csv',
      size: HEADER.length + 11,
      regular: true,
    });
  });

  it('closes the file when the reader stops early', async () => {
    const path = file('many.csv', `${HEADER}\n${'s1,,na,,,\n'.repeat(10_000)}`);
    const openFds = (): number => readdirSync('/proc/self/fd').length;
    const before = openFds();
    let seen = 0;
    for await (const _row of readBatchFile(path, { chunkBytes: 1024 })) {
      if (++seen === 3) break;
    }
    expect(seen).toBe(3);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(openFds()).toBe(before);
  });
});
