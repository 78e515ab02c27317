// Public surface of src/batch: streaming batch-file reading (CSV, JSONL). Internals left out on
// purpose: the line index and the per-format readers (callers go through readBatchFile).
export { BatchFileError } from './batch-file-error.js';
export { BATCH_FORMATS, detectBatchFormat, isBatchFormat } from './batch-format.js';
export type { BatchFormat } from './batch-format.js';
export { BATCH_COLUMNS } from './batch-row.js';
export type { BatchColumn, BatchRow, BatchRowError } from './batch-row.js';
export { DEFAULT_MAX_ROW_BYTES, inspectBatchFile, readBatchFile } from './read-batch-file.js';
export type { BatchFileInfo, ReadBatchFileOptions } from './read-batch-file.js';
