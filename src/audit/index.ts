// Public surface of src/audit: the takedown audit trail (kept AUDIT_RETENTION_DAYS) and its export.
export type {
  AuditEvent,
  CallEvent,
  CallbackEvent,
  ConfirmationEvent,
  DeadLetterEvent,
  OutcomeEvent,
  RequestEvent,
  StepEvent,
  StreamSeenEvent,
} from './audit-event.js';
export { auditKeys, auditRecordId } from './audit-keys.js';
export { toAuditRecord } from './audit-record.js';
export type { AuditRecord } from './audit-record.js';
export { createAuditStore } from './audit-store.js';
export type { AuditAppend, AuditRange, AuditStore, StoredAuditRecord } from './audit-store.js';
export { AUDIT_CSV_COLUMNS, auditCsvHeader, auditCsvRow } from './audit-csv.js';
export { csvCell, csvRow } from './csv-cell.js';
export { toDsaStatement, toPuid } from './dsa-statement.js';
export type { DsaStatement } from './dsa-statement.js';
export { AUDIT_FORMATS, EXPORT_PROGRESS_EVERY, exportAudit } from './export-audit.js';
export type { AuditFormat, ExportAuditOptions, ExportAuditResult } from './export-audit.js';
export { toRequestEvent } from './request-event.js';
