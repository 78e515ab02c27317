import { CsvError, parse } from 'csv-parse';
import type { CsvErrorCode } from 'csv-parse';
import { BatchFileError } from './batch-file-error.js';
import { BATCH_COLUMNS } from './batch-row.js';
import type { BatchColumn, BatchRow } from './batch-row.js';
import { LineIndex } from './line-index.js';

export interface ReadCsvRowsOptions {
  /** For messages. */
  path: string;
  /** A record longer than this is a file error (an unclosed quote, or not CSV). */
  maxRecordBytes: number;
}

const BY_LOWER_NAME = new Map<string, BatchColumn>(BATCH_COLUMNS.map((c) => [c.toLowerCase(), c]));
const COLUMNS_HELP =
  `the first row must name the columns: ${BATCH_COLUMNS.join(',')} ` +
  '(region and sid or streamKey required; order free)';
// csv-parse turns bytes that are not UTF-8 into U+FFFD while decoding a field.
const REPLACEMENT_CHAR = '\uFFFD';

function quoteList(names: readonly string[]): string {
  return names.map((n) => JSON.stringify(n.length > 40 ? `${n.slice(0, 40)}…` : n)).join(', ');
}

/** Header cells → the column each position feeds; throws BatchFileError naming what is wrong. */
export function parseCsvHeader(
  path: string,
  line: number,
  cells: readonly string[],
): BatchColumn[] {
  const columns: BatchColumn[] = [];
  const unknown: string[] = [];
  const duplicate: string[] = [];
  let unnamed = 0;
  for (const cell of cells) {
    const column = BY_LOWER_NAME.get(cell.toLowerCase());
    if (cell === '') unnamed++;
    else if (column === undefined) unknown.push(cell);
    else if (columns.includes(column)) duplicate.push(cell);
    if (column !== undefined) columns.push(column);
  }
  const problems: string[] = [];
  if (unknown.length > 0) problems.push(`unknown column(s) ${quoteList(unknown)}`);
  if (duplicate.length > 0) problems.push(`duplicate column(s) ${quoteList(duplicate)}`);
  if (unnamed > 0) problems.push(`${unnamed} column(s) without a name`);
  if (!columns.includes('region')) problems.push('no region column');
  if (!columns.includes('sid') && !columns.includes('streamKey')) {
    problems.push('no sid or streamKey column');
  }
  if (problems.length > 0) {
    throw new BatchFileError(
      path,
      `${path} line ${line}: the header row is not valid: ${problems.join('; ')}; ${COLUMNS_HELP}`,
    );
  }
  return columns;
}

const QUOTE_AFTER_CLOSE =
  'text after the closing quote of a field; write a quote inside a quoted field as ""';
const CSV_MESSAGES: Readonly<Partial<Record<CsvErrorCode, string>>> = {
  CSV_INVALID_CLOSING_QUOTE: QUOTE_AFTER_CLOSE,
  CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE: QUOTE_AFTER_CLOSE,
  INVALID_OPENING_QUOTE:
    'a quote inside an unquoted field; quote the whole field and write the quote as ""',
  CSV_QUOTE_NOT_CLOSED:
    'a quote opened on this row is never closed, so the rest of the file was read as one field: no row after this one was read',
};

function describeCsvError(err: CsvError, headerWidth: number | undefined): string {
  if (
    err.code === 'CSV_RECORD_INCONSISTENT_FIELDS_LENGTH' ||
    err.code === 'CSV_RECORD_INCONSISTENT_COLUMNS'
  ) {
    const got = Array.isArray(err['record']) ? String(err['record'].length) : 'another number of';
    const want = headerWidth === undefined ? '' : ` but the header has ${headerWidth}`;
    return `the row has ${got} fields${want}; quote a value that contains a comma`;
  }
  return CSV_MESSAGES[err.code] ?? `not valid CSV (${err.code})`;
}

type Event =
  { kind: 'record'; cells: string[]; end: number } | { kind: 'skip'; err: CsvError; end: number };

/**
 * Streams the rows of a CSV batch file (chunks as read from disk). The first non-blank row is the
 * header; empty cells are left out of the record; a row whose cells are all empty is skipped.
 * Syntax problems of a row are row errors; a bad header, an over-long record or a file without
 * data rows is a BatchFileError.
 */
export async function* readCsvRows(
  chunks: AsyncIterable<Buffer>,
  options: ReadCsvRowsOptions,
): AsyncGenerator<BatchRow> {
  const { path } = options;
  const lines = new LineIndex();
  const events: Event[] = [];
  let fatal: Error | undefined;
  const parser = parse({
    bom: true,
    columns: false,
    relax_quotes: false,
    relax_column_count: false,
    // Bare CR is not a line break here: lines are what `wc -l` and editors count.
    record_delimiter: ['\r\n', '\n'],
    skip_empty_lines: true,
    skip_records_with_error: true,
    trim: true,
    max_record_size: options.maxRecordBytes,
    on_record: (record: string[], info: { bytes: number }) => {
      events.push({ kind: 'record', cells: record, end: info.bytes });
      return null; // handled here, in order with skips; nothing goes through the stream
    },
    on_skip: (err: CsvError | undefined) => {
      if (err === undefined) return;
      if (err.code === 'CSV_MAX_RECORD_SIZE') {
        fatal ??= err;
        throw err; // stops the parser
      }
      events.push({ kind: 'skip', err, end: typeof err['bytes'] === 'number' ? err['bytes'] : 0 });
    },
  });
  // Errors arrive through write/end callbacks; this keeps the emitter from throwing them.
  parser.on('error', () => undefined);
  parser.resume();

  let columns: BatchColumn[] | undefined;
  let headerWidth: number | undefined;
  let prevEnd = 0;
  let lastErrorLine = 0;
  let rows = 0;

  /** The line a record starts on: where it ends, less the line breaks inside its fields. */
  const startLine = (cells: readonly unknown[], end: number): number => {
    let inner = 0;
    for (const cell of cells) {
      if (typeof cell !== 'string') continue;
      for (let i = cell.indexOf('\n'); i !== -1; i = cell.indexOf('\n', i + 1)) inner++;
    }
    return lines.lineAt(end - 1) - inner;
  };

  /**
   * The line of a row the parser gave up on. A field-count error comes with the whole record; a
   * quote error only with the position of the last complete field, which is on the row's line
   * (or, for the row's first field, where the previous row ended: then the next non-blank line).
   */
  const errorLine = (err: CsvError, end: number): number => {
    const cells = err['record'];
    if (Array.isArray(cells)) return startLine(cells, end);
    return lines.contentLineFrom(lines.lineAt(Math.max(end, prevEnd)));
  };

  function* drain(): Generator<BatchRow> {
    for (const event of events.splice(0)) {
      if (event.kind === 'skip') {
        const line = errorLine(event.err, event.end);
        if (Array.isArray(event.err['record'])) prevEnd = Math.max(prevEnd, event.end);
        lines.release(prevEnd);
        // One broken quote can make the parser complain more than once about the same row; but
        // a quote left open swallows the rest of the file, which is said even so.
        if (line === lastErrorLine && event.err.code !== 'CSV_QUOTE_NOT_CLOSED') continue;
        lastErrorLine = line;
        rows++;
        yield { line, error: { field: 'csv', message: describeCsvError(event.err, headerWidth) } };
        continue;
      }
      const line = startLine(event.cells, event.end);
      prevEnd = Math.max(prevEnd, event.end);
      lines.release(prevEnd);
      if (columns === undefined) {
        columns = parseCsvHeader(path, line, event.cells);
        headerWidth = event.cells.length;
        continue;
      }
      if (event.cells.every((cell) => cell === '')) continue; // a row of empty cells (spreadsheets)
      rows++;
      yield toRow(line, columns, event.cells);
    }
  }

  const write = (chunk: Buffer | undefined): Promise<void> =>
    new Promise((resolve, reject) => {
      const done = (err?: Error | null): void => (err ? reject(err) : resolve());
      if (chunk === undefined) parser.end(done);
      else parser.write(chunk, done);
    });

  try {
    for await (const chunk of chunks) {
      lines.feed(chunk);
      await write(chunk);
      yield* drain();
    }
    await write(undefined);
    yield* drain();
  } catch (err) {
    if (fatal !== undefined || err instanceof CsvError) {
      // Rows parsed before the failure in the same chunk are not yielded: the file is refused.
      for (const event of events)
        if (event.kind === 'record') prevEnd = Math.max(prevEnd, event.end);
      const line = lines.contentLineFrom(lines.lineAt(prevEnd));
      const detail =
        fatal !== undefined
          ? `a row is longer than ${options.maxRecordBytes} bytes (an unclosed quote, or not a CSV file?)`
          : describeCsvError(err as CsvError, headerWidth);
      throw new BatchFileError(path, `${path} line ${line}: ${detail}`, { cause: err });
    }
    throw err;
  } finally {
    parser.destroy();
  }
  if (columns === undefined) throw new BatchFileError(path, `${path} is empty: ${COLUMNS_HELP}`);
  if (rows === 0) {
    throw new BatchFileError(path, `${path} has a header row but no data rows`);
  }
}

function toRow(line: number, columns: readonly BatchColumn[], cells: readonly string[]): BatchRow {
  const record: Record<string, unknown> = {};
  for (let i = 0; i < columns.length; i++) {
    const value = cells[i] ?? '';
    if (value === '') continue; // empty cell = not given (an empty appId means AGORA_APP_ID)
    const column = columns[i] as BatchColumn;
    if (value.includes(REPLACEMENT_CHAR)) {
      return {
        line,
        error: {
          field: column,
          message: `${column} is not valid UTF-8 text (save the file as UTF-8)`,
        },
      };
    }
    record[column] = value;
  }
  return { line, record };
}
