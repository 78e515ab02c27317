import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { auditCsvHeader, auditCsvRow } from './audit-csv.js';
import { toAuditRecord } from './audit-record.js';
import type { AuditRange, AuditStore } from './audit-store.js';
import { toDsaStatement } from './dsa-statement.js';

export const AUDIT_FORMATS = ['jsonl', 'csv', 'dsa'] as const;
export type AuditFormat = (typeof AUDIT_FORMATS)[number];

/** How often `onProgress` is called, in records read. */
export const EXPORT_PROGRESS_EVERY = 100;

export interface ExportAuditOptions extends AuditRange {
  store: AuditStore;
  format: AuditFormat;
  out: Writable;
  /**
   * Called between records, every EXPORT_PROGRESS_EVERY records read, with the rows written so
   * far (the CLI keeps its heap small there: src/cli/heap-guard.ts).
   */
  onProgress?: (written: number) => void;
}

export interface ExportAuditResult {
  /** Rows (records, or statements for dsa) written. */
  written: number;
  /** dsa only: records without a statement, by why. */
  skipped: Record<string, number>;
}

/**
 * Streams the audit trail to `out`: records by request time, one Redis page at a time, waiting
 * for `out` to drain whenever it asks to — memory stays bounded whatever the range holds.
 * jsonl: one AuditRecord per line; csv: a header and one row per takedown; dsa: one DSA statement
 * of reasons per line (takedowns that carried moderation fields and restricted something).
 */
export async function exportAudit(options: ExportAuditOptions): Promise<ExportAuditResult> {
  const { store, format, out } = options;
  const result: ExportAuditResult = { written: 0, skipped: {} };
  const write = async (chunk: string): Promise<void> => {
    if (!out.write(chunk)) await once(out, 'drain');
  };
  if (format === 'csv') await write(auditCsvHeader());
  let read = 0;
  for await (const stored of store.records(options)) {
    if (++read % EXPORT_PROGRESS_EVERY === 0) options.onProgress?.(result.written);
    const record = toAuditRecord(stored.recordId, stored.requestedAtMs, stored.text);
    if (format === 'dsa') {
      const built = toDsaStatement(record);
      if (!built.ok) {
        result.skipped[built.why] = (result.skipped[built.why] ?? 0) + 1;
        continue;
      }
      await write(`${JSON.stringify(built.statement)}\n`);
    } else if (format === 'csv') {
      await write(auditCsvRow(record));
    } else {
      await write(`${JSON.stringify(record)}\n`);
    }
    result.written++;
  }
  return result;
}
