import { extname } from 'node:path';
import { BatchFileError } from './batch-file-error.js';

export const BATCH_FORMATS = ['csv', 'jsonl'] as const;
export type BatchFormat = (typeof BATCH_FORMATS)[number];

const BY_EXTENSION: Readonly<Record<string, BatchFormat>> = {
  '.csv': 'csv',
  '.jsonl': 'jsonl',
  '.ndjson': 'jsonl',
};

export function isBatchFormat(value: unknown): value is BatchFormat {
  return (BATCH_FORMATS as readonly unknown[]).includes(value);
}

/** The given format, else the one the file's extension names (.csv, .jsonl, .ndjson). */
export function detectBatchFormat(path: string, format?: BatchFormat): BatchFormat {
  if (format !== undefined) return format;
  const ext = extname(path).toLowerCase();
  const known = BY_EXTENSION[ext];
  if (known !== undefined) return known;
  const hint =
    ext === '.json'
      ? 'a batch file is CSV or JSONL (one JSON object per line), not a JSON document'
      : `cannot tell the format from the extension ${ext === '' ? '(none)' : JSON.stringify(ext)}`;
  throw new BatchFileError(
    path,
    `${path}: ${hint}; name it .csv, .jsonl or .ndjson, or pass --format csv|jsonl`,
  );
}
