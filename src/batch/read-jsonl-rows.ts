import { TextDecoder } from 'node:util';
import { BatchFileError } from './batch-file-error.js';
import type { BatchRow } from './batch-row.js';

export interface ReadJsonlRowsOptions {
  /** For messages. */
  path: string;
  /** A longer line is a row error (its content is skipped, not held in memory). */
  maxLineBytes: number;
}

const LF = 0x0a;
const CR = 0x0d;

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}

function isBlank(text: string): boolean {
  return text.trim() === '';
}

/**
 * Splits chunks into physical lines (LF; a trailing CR is dropped) without ever holding more
 * than `maxLineBytes` of one line. Yields [line number, bytes | 'too-long'].
 */
async function* splitLines(
  chunks: AsyncIterable<Buffer>,
  maxLineBytes: number,
): AsyncGenerator<[number, Buffer | 'too-long']> {
  let parts: Buffer[] = [];
  let size = 0;
  let tooLong = false;
  let line = 1;
  const take = (): Buffer | 'too-long' => {
    const out = tooLong ? 'too-long' : Buffer.concat(parts, size);
    parts = [];
    size = 0;
    tooLong = false;
    return out;
  };
  for await (const chunk of chunks) {
    let pos = 0;
    while (pos < chunk.length) {
      const nl = chunk.indexOf(LF, pos);
      const end = nl === -1 ? chunk.length : nl;
      if (!tooLong) {
        size += end - pos;
        if (size > maxLineBytes) {
          tooLong = true;
          parts = [];
        } else if (end > pos) {
          parts.push(chunk.subarray(pos, end));
        }
      }
      if (nl === -1) break;
      yield [line++, take()];
      pos = nl + 1;
    }
  }
  if (size > 0 || tooLong) yield [line, take()];
}

/**
 * Streams the rows of a JSONL batch file: one JSON object per line; blank lines are skipped.
 * A line that is not valid UTF-8, not JSON or not an object is a row error, except on the first
 * non-blank line, where it means the file is not JSONL at all (BatchFileError).
 */
export async function* readJsonlRows(
  chunks: AsyncIterable<Buffer>,
  options: ReadJsonlRowsOptions,
): AsyncGenerator<BatchRow> {
  const { path, maxLineBytes } = options;
  const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });
  let rows = 0;
  for await (const [line, bytes] of splitLines(chunks, maxLineBytes)) {
    const row = toRow(line, bytes, decoder, maxLineBytes);
    if (row === undefined) continue;
    if (rows === 0 && row.error !== undefined) {
      throw new BatchFileError(
        path,
        `${path} line ${line}: ${row.error.message}; is this a JSONL file (one JSON object per line)? ` +
          'Use --format csv for a CSV file',
      );
    }
    rows++;
    yield row;
  }
  if (rows === 0) throw new BatchFileError(path, `${path} is empty: no JSON object lines in it`);
}

function toRow(
  line: number,
  bytes: Buffer | 'too-long',
  decoder: TextDecoder,
  maxLineBytes: number,
): BatchRow | undefined {
  if (bytes === 'too-long') {
    return {
      line,
      error: { field: 'json', message: `the line is longer than ${maxLineBytes} bytes` },
    };
  }
  const end = bytes.length > 0 && bytes[bytes.length - 1] === CR ? bytes.length - 1 : bytes.length;
  let text: string;
  try {
    // ignoreBOM: false strips a BOM at the start of the line (a BOM-prefixed file's line 1).
    text = decoder.decode(bytes.subarray(0, end));
  } catch {
    return {
      line,
      error: { field: 'encoding', message: 'the line is not valid UTF-8 (save the file as UTF-8)' },
    };
  }
  if (isBlank(text)) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    const detail = err instanceof Error ? err.message : String(err);
    return { line, error: { field: 'json', message: `not valid JSON (${detail})` } };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return {
      line,
      error: {
        field: 'json',
        message: `each line must be a JSON object like {"region":"na","sid":"…"}; got ${typeName(value)}`,
      },
    };
  }
  return { line, record: value as Record<string, unknown> };
}
