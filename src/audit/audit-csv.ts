import { MODERATION_FIELDS } from '../jobs/index.js';
import type { ModerationField } from '../jobs/index.js';
import type { AuditRecord } from './audit-record.js';
import { csvRow } from './csv-cell.js';

/** CSV columns of `audit export --format csv`, one row per takedown. */
export const AUDIT_CSV_COLUMNS = [
  'jobId',
  'requestedAt',
  'requestedBy',
  'reason',
  'priority',
  'batchId',
  'region',
  'extraRegions',
  'appId',
  'sid',
  'streamKey',
  'streamKeyFingerprint',
  'channel',
  'streamStartedAt',
  'effectiveAt',
  'outcome',
  'outcomeAt',
  'keyRevoked',
  'sidsDisconnected',
  'failedStep',
  'error',
  'steps',
  'agoraCalls',
  'confirmedAt',
  'callbackUrl',
  'callbacks',
  ...MODERATION_FIELDS,
] as const;

type Cell = string | number | boolean | undefined;
type Column = (typeof AUDIT_CSV_COLUMNS)[number];

/** The moderation fields' cells: territorialScope space-separated, the others as they are. */
function moderationCells(r: AuditRecord): Record<ModerationField, Cell> {
  const cells = {} as Record<ModerationField, Cell>;
  for (const field of MODERATION_FIELDS) {
    const value = r[field];
    cells[field] = Array.isArray(value) ? value.join(' ') : value;
  }
  return cells;
}

export function auditCsvHeader(): string {
  return csvRow(AUDIT_CSV_COLUMNS);
}

/** Lists in one cell: `;`-separated, each item's parts space-separated. */
export function auditCsvRow(r: AuditRecord): string {
  const err = r.deadLetter?.error;
  const row: Record<Column, Cell> = {
    jobId: r.jobId,
    requestedAt: r.requestedAt,
    requestedBy: r.requestedBy,
    reason: r.reason,
    priority: r.priority,
    batchId: r.batchId,
    region: r.region,
    extraRegions: r.extraRegions?.join(' '),
    appId: r.appId,
    sid: r.sid,
    streamKey: r.streamKey,
    streamKeyFingerprint: r.streamKeyFingerprint,
    channel: r.channel,
    streamStartedAt: r.streamStartedAt,
    effectiveAt: r.effectiveAt,
    outcome: r.outcome,
    outcomeAt: r.outcomeAt,
    keyRevoked: r.keyRevoked,
    sidsDisconnected: r.sidsDisconnected,
    failedStep: r.deadLetter?.failedStep,
    error:
      err === undefined
        ? undefined
        : `${err.name}${err.status === undefined ? '' : ` ${err.status}`}: ${err.message}${err.requestId === undefined ? '' : ` (X-Request-ID ${err.requestId})`}`,
    steps: r.steps.map((s) => `${s.step} ${s.at} ${s.durationMs}ms`).join('; '),
    agoraCalls: r.calls
      .map((c) => `${c.op} ${c.region} ${c.status} ${c.requestId} ${c.at}`)
      .join('; '),
    confirmedAt: r.confirmations[0]?.at,
    callbackUrl: r.callbackUrl,
    callbacks: r.callbacks
      .map((c) => `${c.type} ${c.result}${c.status === undefined ? '' : ` ${c.status}`} ${c.at}`)
      .join('; '),
    ...moderationCells(r),
  };
  return csvRow(AUDIT_CSV_COLUMNS.map((c) => row[c]));
}
