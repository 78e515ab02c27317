import { MODERATION_FIELDS } from '../jobs/index.js';

/** What a row of a batch file can say: the takedown request fields (DESIGN §4). */
export const BATCH_COLUMNS = [
  'sid',
  'streamKey',
  'region',
  'appId',
  'channel',
  'reason',
  'extraRegions',
  'requestedBy',
  'callbackUrl',
  ...MODERATION_FIELDS,
] as const;
export type BatchColumn = (typeof BATCH_COLUMNS)[number];

/** A row that cannot become a request at all (bad JSON, bad CSV syntax, invalid UTF-8). */
export interface BatchRowError {
  /** The column or aspect at fault: a column name, `json`, `csv`, `encoding`. */
  field: string;
  message: string;
}

/**
 * One row of a batch file. `line` is the physical line the row starts on (1-based; a CSV header
 * is line 1, a JSONL file's first line is line 1). Either a record (the row's fields, not yet
 * validated as a takedown request) or an error.
 */
export type BatchRow =
  | { line: number; record: Record<string, unknown>; error?: undefined }
  | { line: number; record?: undefined; error: BatchRowError };
