/**
 * The hostile input corpus of chaos scenario 5: takedown requests that must all be rejected,
 * each with the field a correct rejection names. Used through the producer API, the HTTP intake
 * (single and batch) and, where a case can be typed on a command line or written in a batch
 * file, through the CLI.
 */

export interface HostileCase {
  name: string;
  /** What a caller sends (anything: the point is that it is wrong). */
  request: unknown;
  /** The field the rejection must name (`request` for a request that is not an object). */
  field: string;
}

const HUGE = 'a'.repeat(100_000);
const LONG_SID = 's'.repeat(256);

/** An object with an own `__proto__` property, as JSON.parse makes it. */
function withOwn(field: string, value: unknown): Record<string, unknown> {
  const obj: Record<string, unknown> = { region: 'na', sid: 'abc123' };
  Object.defineProperty(obj, field, {
    value,
    enumerable: true,
    writable: true,
    configurable: true,
  });
  return obj;
}

export const HOSTILE_CASES: readonly HostileCase[] = [
  // ── missing fields ──
  { name: 'empty object', request: {}, field: 'region' },
  { name: 'no region', request: { sid: 'abc123' }, field: 'region' },
  { name: 'neither sid nor key', request: { region: 'na' }, field: 'sid' },
  { name: 'sid and key empty', request: { region: 'na', sid: '', streamKey: '' }, field: 'sid' },
  { name: 'sid null', request: { region: 'na', sid: null }, field: 'sid' },
  // ── extra fields ──
  { name: 'unknown field', request: { region: 'na', sid: 'abc123', evil: 'x' }, field: 'evil' },
  {
    name: 'own __proto__ field',
    request: withOwn('__proto__', { admin: true }),
    field: '__proto__',
  },
  { name: 'constructor field', request: withOwn('constructor', 'x'), field: 'constructor' },
  {
    name: 'payload version in a request',
    request: { region: 'na', sid: 'abc123', v: 1 },
    field: 'v',
  },
  {
    name: 'requestedAt in a request',
    request: { region: 'na', sid: 'abc123', requestedAt: '2020-01-01T00:00:00Z' },
    field: 'requestedAt',
  },
  // ── wrong types ──
  { name: 'sid number', request: { region: 'na', sid: 12345 }, field: 'sid' },
  { name: 'sid array', request: { region: 'na', sid: ['abc'] }, field: 'sid' },
  { name: 'sid object', request: { region: 'na', sid: { $ne: '' } }, field: 'sid' },
  { name: 'streamKey boolean', request: { region: 'na', streamKey: true }, field: 'streamKey' },
  { name: 'region number', request: { region: 1, sid: 'abc123' }, field: 'region' },
  { name: 'region array', request: { region: ['na'], sid: 'abc123' }, field: 'region' },
  { name: 'appId number', request: { region: 'na', sid: 'abc123', appId: 42 }, field: 'appId' },
  { name: 'reason object', request: { region: 'na', sid: 'abc123', reason: {} }, field: 'reason' },
  {
    name: 'priority number',
    request: { region: 'na', sid: 'abc123', priority: 1 },
    field: 'priority',
  },
  {
    name: 'channel number',
    request: { region: 'na', sid: 'abc123', channel: 5 },
    field: 'channel',
  },
  {
    name: 'batchId number',
    request: { region: 'na', sid: 'abc123', batchId: 7 },
    field: 'batchId',
  },
  // ── bad regions ──
  { name: 'region upper case', request: { region: 'NA', sid: 'abc123' }, field: 'region' },
  { name: 'region unknown', request: { region: 'us', sid: 'abc123' }, field: 'region' },
  { name: 'region traversal', request: { region: '../na', sid: 'abc123' }, field: 'region' },
  { name: 'region list', request: { region: 'na,eu', sid: 'abc123' }, field: 'region' },
  { name: 'region with newline', request: { region: 'na\n', sid: 'abc123' }, field: 'region' },
  // ── path traversal in SIDs, keys, App IDs, channels ──
  { name: 'sid ../x', request: { region: 'na', sid: '../x' }, field: 'sid' },
  { name: 'sid ..', request: { region: 'na', sid: '..' }, field: 'sid' },
  { name: 'sid .', request: { region: 'na', sid: '.' }, field: 'sid' },
  { name: 'sid %2e%2e', request: { region: 'na', sid: '%2e%2e' }, field: 'sid' },
  { name: 'sid %2e%2e%2fx', request: { region: 'na', sid: '%2e%2e%2fx' }, field: 'sid' },
  { name: 'sid a/b', request: { region: 'na', sid: 'a/b' }, field: 'sid' },
  { name: 'sid a?b', request: { region: 'na', sid: 'a?b' }, field: 'sid' },
  { name: 'sid a#b', request: { region: 'na', sid: 'a#b' }, field: 'sid' },
  { name: 'sid a\\b', request: { region: 'na', sid: 'a\\b' }, field: 'sid' },
  { name: 'sid with space', request: { region: 'na', sid: 'a b' }, field: 'sid' },
  { name: 'key ../x', request: { region: 'na', streamKey: '../x' }, field: 'streamKey' },
  { name: 'key %2e%2e', request: { region: 'na', streamKey: '%2e%2e' }, field: 'streamKey' },
  { name: 'key a/b', request: { region: 'na', streamKey: 'a/b' }, field: 'streamKey' },
  { name: 'key a?b', request: { region: 'na', streamKey: 'a?b' }, field: 'streamKey' },
  { name: 'key a#b', request: { region: 'na', streamKey: 'a#b' }, field: 'streamKey' },
  { name: 'key ..', request: { region: 'na', streamKey: '..' }, field: 'streamKey' },
  { name: 'appId ../x', request: { region: 'na', sid: 'abc123', appId: '../x' }, field: 'appId' },
  {
    name: 'channel ../../x',
    request: { region: 'na', sid: 'abc123', channel: '../../x' },
    field: 'channel',
  },
  // ── huge strings ──
  { name: 'sid 256 chars', request: { region: 'na', sid: LONG_SID }, field: 'sid' },
  { name: 'sid 100k chars', request: { region: 'na', sid: HUGE }, field: 'sid' },
  { name: 'key 100k chars', request: { region: 'na', streamKey: HUGE }, field: 'streamKey' },
  {
    name: 'reason 501 chars',
    request: { region: 'na', sid: 'abc123', reason: 'r'.repeat(501) },
    field: 'reason',
  },
  {
    name: 'reason 100k chars',
    request: { region: 'na', sid: 'abc123', reason: HUGE },
    field: 'reason',
  },
  {
    name: 'requestedBy 201 chars',
    request: { region: 'na', sid: 'abc123', requestedBy: 'm'.repeat(201) },
    field: 'requestedBy',
  },
  {
    name: 'channel 64 bytes',
    request: { region: 'na', sid: 'abc123', channel: 'c'.repeat(64) },
    field: 'channel',
  },
  {
    name: 'appId 65 chars',
    request: { region: 'na', sid: 'abc123', appId: 'a'.repeat(65) },
    field: 'appId',
  },
  {
    name: 'batchId 65 chars',
    request: { region: 'na', sid: 'abc123', batchId: 'b'.repeat(65) },
    field: 'batchId',
  },
  // ── control characters and invisible formatting ──
  { name: 'sid with NUL', request: { region: 'na', sid: 'abc\u0000' }, field: 'sid' },
  {
    name: 'sid with CRLF header injection',
    request: { region: 'na', sid: 'abc\r\nX-Evil: 1' },
    field: 'sid',
  },
  { name: 'key with tab', request: { region: 'na', streamKey: 'k\tk' }, field: 'streamKey' },
  {
    name: 'reason with ANSI escape',
    request: { region: 'na', sid: 'abc123', reason: 'ok \u001b[31mred' },
    field: 'reason',
  },
  {
    name: 'reason with NUL',
    request: { region: 'na', sid: 'abc123', reason: 'a\u0000b' },
    field: 'reason',
  },
  {
    name: 'reason with line separator',
    request: { region: 'na', sid: 'abc123', reason: 'a\u2028b' },
    field: 'reason',
  },
  {
    name: 'reason with bidi override',
    request: { region: 'na', sid: 'abc123', reason: 'x\u202Eexe.txt' },
    field: 'reason',
  },
  {
    name: 'requestedBy with BEL',
    request: { region: 'na', sid: 'abc123', requestedBy: 'bot\u0007' },
    field: 'requestedBy',
  },
  // ── invalid Unicode (what invalid UTF-8 becomes in a JS string) ──
  { name: 'sid lone high surrogate', request: { region: 'na', sid: 'ab\uD800' }, field: 'sid' },
  {
    name: 'reason lone low surrogate',
    request: { region: 'na', sid: 'abc123', reason: 'x\uDC00y' },
    field: 'reason',
  },
  { name: 'sid replacement character', request: { region: 'na', sid: 'ab\uFFFD' }, field: 'sid' },
  // ── bad priorities ──
  {
    name: 'priority upper case',
    request: { region: 'na', sid: 'abc123', priority: 'URGENT' },
    field: 'priority',
  },
  {
    name: 'priority unknown',
    request: { region: 'na', sid: 'abc123', priority: 'highest' },
    field: 'priority',
  },
  // ── not an object at all ──
  { name: 'null', request: null, field: 'request' },
  { name: 'string', request: 'region=na&sid=abc', field: 'request' },
  { name: 'array', request: [{ region: 'na', sid: 'abc123' }], field: 'request' },
  { name: 'number', request: 42, field: 'request' },
];

/** Enqueue flags for cases a command line can carry: [name, args, the flag or field named]. */
export const HOSTILE_CLI_ARGS: readonly [string, string[], RegExp][] = [
  ['no region', ['--sid', 'abc123'], /--region/],
  ['neither sid nor key', ['--region', 'na'], /--sid/],
  ['region upper case', ['--region', 'NA', '--sid', 'abc123'], /--region/],
  ['region unknown', ['--region', 'us', '--sid', 'abc123'], /--region/],
  ['sid ../x', ['--region', 'na', '--sid', '../x'], /--sid/],
  ['sid ..', ['--region', 'na', '--sid', '..'], /--sid/],
  ['sid %2e%2e', ['--region', 'na', '--sid', '%2e%2e'], /--sid/],
  ['sid a/b', ['--region', 'na', '--sid', 'a/b'], /--sid/],
  ['sid a?b', ['--region', 'na', '--sid', 'a?b'], /--sid/],
  ['sid a#b', ['--region', 'na', '--sid', 'a#b'], /--sid/],
  ['key ../x', ['--region', 'na', '--key', '../x'], /--key/],
  ['key %2e%2e%2f', ['--region', 'na', '--key', '%2e%2e%2f'], /--key/],
  ['key a?b', ['--region', 'na', '--key', 'a?b'], /--key/],
  ['key a#b', ['--region', 'na', '--key', 'a#b'], /--key/],
  ['app id ../x', ['--region', 'na', '--sid', 'abc123', '--app-id', '../x'], /--app-id/],
  [
    'channel 64 bytes',
    ['--region', 'na', '--sid', 'abc123', '--channel', 'c'.repeat(64)],
    /--channel/,
  ],
  ['sid 100k chars', ['--region', 'na', '--sid', HUGE], /--sid/],
  [
    'reason 501 chars',
    ['--region', 'na', '--sid', 'abc123', '--reason', 'r'.repeat(501)],
    /--reason/,
  ],
  [
    'reason with ANSI escape',
    ['--region', 'na', '--sid', 'abc123', '--reason', 'x\u001b[2Jy'],
    /--reason/,
  ],
  ['sid with newline', ['--region', 'na', '--sid', 'abc\nX-Evil: 1'], /--sid/],
  [
    'reason with bidi override',
    ['--region', 'na', '--sid', 'abc123', '--reason', 'a\u202Eb'],
    /--reason/,
  ],
  // A lone surrogate cannot cross execve: Node sends U+FFFD, which is what invalid UTF-8 in argv decodes to.
  ['sid invalid UTF-8', ['--region', 'na', '--sid', 'ab\uD800'], /--sid/],
  [
    'priority unknown',
    ['--region', 'na', '--sid', 'abc123', '--priority', 'highest'],
    /--priority/,
  ],
  ['unknown option', ['--region', 'na', '--sid', 'abc123', '--evil', 'x'], /--evil/],
  ['missing option value', ['--region', 'na', '--sid'], /--sid/],
];

/** One CSV cell, always quoted (quotes doubled). */
function csvCell(value: string): string {
  return `"${value.replaceAll('"', '""')}"`;
}

export interface BatchFileCase {
  name: string;
  /** File name (the extension selects the format). */
  file: string;
  content: Buffer;
  /** Rows the file holds (header excluded). */
  rows: number;
  /** Each data row's physical line and the field its rejection must name; empty for a file-level error. */
  expected: { line: number; field: string | RegExp }[];
  /** For a file-level rejection (exit 2): what stderr must say. */
  fileError?: RegExp;
}

const CSV_HEADER = 'sid,streamKey,region,appId,channel,reason';

function csvRows(rows: readonly { cells: readonly string[]; field: string | RegExp }[]): {
  text: string;
  expected: BatchFileCase['expected'];
} {
  const lines = [CSV_HEADER, ...rows.map((r) => r.cells.map(csvCell).join(','))];
  return {
    text: `${lines.join('\n')}\n`,
    expected: rows.map((r, i) => ({ line: i + 2, field: r.field })),
  };
}

/** Batch files: one with many bad rows per format, and files bad as a whole. */
export function hostileBatchFiles(): BatchFileCase[] {
  const csv = csvRows([
    { cells: ['', '', 'na', '', '', 'no sid, no key'], field: 'sid' },
    { cells: ['abc123', '', '', '', '', 'no region'], field: 'region' },
    { cells: ['abc123', '', 'NA', '', '', 'upper-case region'], field: 'region' },
    { cells: ['abc123', '', 'mars', '', '', 'unknown region'], field: 'region' },
    { cells: ['../x', '', 'na', '', '', ''], field: 'sid' },
    { cells: ['%2e%2e', '', 'na', '', '', ''], field: 'sid' },
    { cells: ['a/b', '', 'na', '', '', ''], field: 'sid' },
    { cells: ['a?b', '', 'na', '', '', ''], field: 'sid' },
    { cells: ['a#b', '', 'na', '', '', ''], field: 'sid' },
    { cells: ['', '../x', 'na', '', '', ''], field: 'streamKey' },
    { cells: ['', '%2e%2e%2f', 'na', '', '', ''], field: 'streamKey' },
    { cells: ['', 'k?x=1', 'na', '', '', ''], field: 'streamKey' },
    { cells: ['abc123', '', 'na', '../../etc', '', ''], field: 'appId' },
    { cells: ['abc123', '', 'na', '', 'c'.repeat(64), ''], field: 'channel' },
    { cells: [LONG_SID, '', 'na', '', '', ''], field: 'sid' },
    { cells: ['abc123', '', 'na', '', '', 'r'.repeat(501)], field: 'reason' },
    { cells: ['abc123', '', 'na', '', '', 'beep\u0007'], field: 'reason' },
    { cells: ['abc123', '', 'na', '', '', 'esc \u001b[31m'], field: 'reason' },
    { cells: ['abc123', '', 'na', '', '', 'x\u202Eexe'], field: 'reason' },
    { cells: ['ab\tc', '', 'na', '', '', ''], field: 'sid' },
  ]);
  const csvFile: BatchFileCase = {
    name: 'CSV with bad rows',
    file: 'bad-rows.csv',
    content: Buffer.from(csv.text, 'utf8'),
    rows: csv.expected.length,
    expected: csv.expected,
  };

  // JSONL: the first line must be an object, or the file counts as "not JSONL" as a whole.
  const jsonl: [string | Buffer, string | RegExp][] = [
    ['{"region":"na"}', 'sid'],
    ['{"region":"na","sid":12345}', 'sid'],
    ['{"region":"na","sid":["a"]}', 'sid'],
    ['{"region":"na","streamKey":{"$gt":""}}', 'streamKey'],
    ['{"region":1,"sid":"abc123"}', 'region'],
    ['{"region":"na","sid":"abc123","evil":true}', 'evil'],
    ['{"region":"na","sid":"abc123","__proto__":{"admin":true}}', '__proto__'],
    ['{"region":"na","sid":"abc123","priority":"now"}', 'priority'],
    ['{"region":"na","sid":"../../x"}', 'sid'],
    ['{"region":"na","sid":"a\\u0000b"}', 'sid'],
    ['{"region":"na","sid":"abc\\r\\nX-Evil: 1"}', 'sid'],
    ['{"region":"na","sid":"ab\\ud800"}', 'sid'],
    ['{"region":"na","sid":"abc123","reason":"x\\udc00y"}', 'reason'],
    // Duplicate keys: JSON.parse keeps the last, which is the hostile one here.
    ['{"region":"na","sid":"abc123","sid":"../x"}', 'sid'],
    ['{"region":"na","sid":"abc123","region":"moon"}', 'region'],
    [`{"region":"na","sid":"${HUGE}"}`, 'sid'],
    ['this is not json', 'json'],
    ['{"region":"na","sid":"abc123"', 'json'],
    ['["na","abc123"]', 'json'],
    ['"na,abc123"', 'json'],
    ['null', 'json'],
    [
      Buffer.concat([
        Buffer.from('{"region":"na","sid":"ab'),
        Buffer.from([0xff, 0xfe]),
        Buffer.from('"}'),
      ]),
      /encoding|sid/,
    ],
    [
      Buffer.concat([
        Buffer.from('{"region":"na","sid":"abc123","reason":"caf'),
        Buffer.from([0xc3, 0x28]),
        Buffer.from('"}'),
      ]),
      /encoding|reason/,
    ],
  ];
  const jsonlFile: BatchFileCase = {
    name: 'JSONL with bad lines',
    file: 'bad-lines.jsonl',
    content: Buffer.concat(
      jsonl.flatMap(([l]) => [typeof l === 'string' ? Buffer.from(l) : l, Buffer.from('\n')]),
    ),
    rows: jsonl.length,
    expected: jsonl.map(([, field], i) => ({ line: i + 1, field })),
  };

  const invalidUtf8Csv: BatchFileCase = {
    name: 'CSV with invalid UTF-8',
    file: 'invalid-utf8.csv',
    content: Buffer.concat([
      Buffer.from(`${CSV_HEADER}\n`),
      Buffer.from('"ab'),
      Buffer.from([0xff]),
      Buffer.from('",,na,,,\n'),
      Buffer.from('abc123,,na,,,"caf'),
      Buffer.from([0xc3, 0x28]),
      Buffer.from('"\n'),
    ]),
    rows: 2,
    expected: [
      { line: 2, field: /encoding|sid/ },
      { line: 3, field: /encoding|reason/ },
    ],
  };

  const fileLevel = (
    name: string,
    file: string,
    content: string | Buffer,
    fileError: RegExp,
  ): BatchFileCase => ({
    name,
    file,
    content: typeof content === 'string' ? Buffer.from(content) : content,
    rows: 0,
    expected: [],
    fileError,
  });

  return [
    csvFile,
    jsonlFile,
    invalidUtf8Csv,
    fileLevel(
      'CSV duplicate header',
      'dup-header.csv',
      'sid,region,sid\nabc123,na,def456\n',
      /duplicate column.*"sid"/,
    ),
    fileLevel(
      'CSV duplicate header, other case',
      'dup-header-case.csv',
      'sid,region,REGION\nabc123,na,eu\n',
      /duplicate column.*"REGION"/,
    ),
    fileLevel(
      'CSV unknown column',
      'unknown-column.csv',
      'sid,region,evil\nabc123,na,x\n',
      /unknown column.*"evil"/,
    ),
    fileLevel(
      'CSV without region column',
      'no-region.csv',
      'sid,reason\nabc123,x\n',
      /no region column/,
    ),
    fileLevel(
      'JSONL that is not JSON',
      'not-json.jsonl',
      'sid,region\nabc123,na\n',
      /not valid JSON|JSONL/,
    ),
    fileLevel(
      'CSV with NUL bytes',
      'nul.csv',
      Buffer.from(`${CSV_HEADER}\nabc\u0000,,na,,,\n`),
      /NUL/,
    ),
    fileLevel('empty file', 'empty.csv', '', /empty/),
  ];
}
