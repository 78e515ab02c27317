import { open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { BatchFileError } from './batch-file-error.js';
import { detectBatchFormat } from './batch-format.js';
import type { BatchFormat } from './batch-format.js';
import type { BatchRow } from './batch-row.js';
import { readCsvRows } from './read-csv-rows.js';
import { readJsonlRows } from './read-jsonl-rows.js';

export interface ReadBatchFileOptions {
  /** Default: from the extension (.csv, .jsonl, .ndjson). */
  format?: BatchFormat;
  /** Called after each chunk read, with the bytes read so far (progress display). */
  onBytesRead?: (bytesRead: number) => void;
  /** Longest CSV record / JSONL line accepted. @defaultValue 1 MiB */
  maxRowBytes?: number;
  /** @defaultValue 64 KiB */
  chunkBytes?: number;
}

export const DEFAULT_MAX_ROW_BYTES = 1024 * 1024;
const DEFAULT_CHUNK_BYTES = 64 * 1024;

/** What the CLI needs to know about a batch file before reading it. */
export interface BatchFileInfo {
  format: BatchFormat;
  /** Bytes; for progress. */
  size: number;
  /** A regular file can be read twice (--strict); a pipe cannot. */
  regular: boolean;
}

function describeOpenError(path: string, err: unknown): BatchFileError {
  const code = (err as NodeJS.ErrnoException).code;
  const why =
    code === 'ENOENT'
      ? 'no such file'
      : code === 'EACCES' || code === 'EPERM'
        ? 'permission denied'
        : code === 'EISDIR'
          ? 'is a directory, not a file'
          : `cannot be read (${code ?? (err instanceof Error ? err.message : String(err))})`;
  return new BatchFileError(path, `${path}: ${why}`, { cause: err });
}

async function openFile(
  path: string,
): Promise<{ handle: FileHandle; size: number; regular: boolean }> {
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch (err) {
    throw describeOpenError(path, err);
  }
  try {
    const stat = await handle.stat();
    if (stat.isDirectory()) throw new BatchFileError(path, `${path}: is a directory, not a file`);
    if (stat.isFile() && stat.size === 0) throw new BatchFileError(path, `${path} is empty`);
    return { handle, size: stat.size, regular: stat.isFile() };
  } catch (err) {
    await handle.close();
    throw err instanceof BatchFileError ? err : describeOpenError(path, err);
  }
}

/** Format, size and kind of a batch file; throws BatchFileError when it cannot be used. */
export async function inspectBatchFile(
  path: string,
  options: { format?: BatchFormat } = {},
): Promise<BatchFileInfo> {
  const format = detectBatchFormat(path, options.format);
  const { handle, size, regular } = await openFile(path);
  await handle.close();
  return { format, size, regular };
}

/** The file's bytes, chunk by chunk; the first chunk is checked for binary content. */
async function* readChunks(
  path: string,
  handle: FileHandle,
  options: ReadBatchFileOptions,
): AsyncGenerator<Buffer> {
  const stream = handle.createReadStream({
    highWaterMark: options.chunkBytes ?? DEFAULT_CHUNK_BYTES,
  });
  let bytesRead = 0;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      if (bytesRead === 0 && chunk.includes(0)) {
        throw new BatchFileError(
          path,
          `${path} is not a text file (it contains NUL bytes: binary, or UTF-16?); save it as UTF-8 CSV or JSONL`,
        );
      }
      bytesRead += chunk.length;
      options.onBytesRead?.(bytesRead);
      yield chunk;
    }
  } catch (err) {
    throw err instanceof BatchFileError ? err : describeOpenError(path, err);
  } finally {
    stream.destroy();
  }
}

/**
 * Streams the rows of a CSV or JSONL batch file: one row at a time, so a file of a million lines
 * never sits in memory. Each row carries its physical line number and either a record (fields
 * as written, not yet validated as a takedown) or an error. A file that cannot be used at all
 * (missing, unreadable, empty, binary, wrong format, bad CSV header) throws BatchFileError,
 * possibly after some rows (e.g. a read error midway). Stopping early closes the file.
 */
export async function* readBatchFile(
  path: string,
  options: ReadBatchFileOptions = {},
): AsyncGenerator<BatchRow> {
  const format = detectBatchFormat(path, options.format);
  const { handle } = await openFile(path);
  const maxRowBytes = options.maxRowBytes ?? DEFAULT_MAX_ROW_BYTES;
  try {
    const chunks = readChunks(path, handle, options);
    if (format === 'csv') {
      yield* readCsvRows(chunks, { path, maxRecordBytes: maxRowBytes });
    } else {
      yield* readJsonlRows(chunks, { path, maxLineBytes: maxRowBytes });
    }
  } finally {
    await handle.close().catch(() => undefined); // the stream may have closed it already
  }
}
