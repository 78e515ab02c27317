/**
 * Redis keys of the audit trail, under the BullMQ prefix so a Redis Cluster hash tag
 * (`{takedown}`) keeps them in the queue's slot:
 *   <prefix>:audit:idx                  sorted set, score = request time (ms), member = record id
 *   <prefix>:audit:r:<record id>        the record (newline-separated JSON events)
 * A record id is `<jobId>@<request ms>`: a job id is reused once the idempotency window has
 * passed, a request time is not.
 */
export interface AuditKeys {
  index: string;
  record(recordId: string): string;
}

export function auditKeys(prefix: string): AuditKeys {
  return {
    index: `${prefix}:audit:idx`,
    record: (recordId) => `${prefix}:audit:r:${recordId}`,
  };
}

export function auditRecordId(jobId: string, requestedAt: string | number): string {
  const ms = typeof requestedAt === 'number' ? requestedAt : Date.parse(requestedAt);
  return `${jobId}@${Number.isFinite(ms) ? ms : 0}`;
}
