import { maskJobId, maskStreamKey, maskStreamKeys } from '../../jobs/index.js';
import type { DeadLetterEntry, TakedownResult } from '../../jobs/index.js';
import type { BatchStatus, JobStatus, JobStatusError } from '../../producer/index.js';
import { formatTable } from '../output.js';

/** `name 503: message (request id …)`, the parts that exist. */
export function describeJobError(error: JobStatusError): string {
  const head = [error.name, error.status === undefined ? undefined : String(error.status)]
    .filter((p) => p !== undefined && p !== '')
    .join(' ');
  const tail = error.requestId === undefined ? '' : ` (X-Request-ID ${error.requestId})`;
  return `${head === '' ? '' : `${head}: `}${error.message}${tail}`;
}

/** One line: what a finished takedown did. */
export function describeResult(result: TakedownResult): string {
  const revoked = Object.entries(result.revoked)
    .map(([region, outcome]) => `${region} ${String(outcome)}`)
    .join(', ');
  const parts: string[] = [result.outcome];
  if (revoked !== '') parts.push(`key: ${revoked}`);
  if (result.disconnected.length > 0) parts.push(`disconnected: ${result.disconnected.join(', ')}`);
  if (result.alreadyOffline.length > 0) {
    parts.push(`already offline: ${result.alreadyOffline.join(', ')}`);
  }
  if (result.foundByVerify.length > 0) {
    parts.push(`reconnects caught by verify: ${result.foundByVerify.join(', ')}`);
  }
  return parts.join('; ');
}

function payloadField(payload: unknown, key: string): string | undefined {
  if (typeof payload !== 'object' || payload === null) return undefined;
  const value = (payload as Record<string, unknown>)[key];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** `sid X / key abcd…xyz` of a payload or DLQ entry (what an operator recognises; keys masked). */
export function describeTarget(source: unknown): string {
  const sid = payloadField(source, 'sid');
  const key = payloadField(source, 'streamKey');
  const parts: string[] = [];
  if (sid !== undefined) parts.push(`sid ${sid}`);
  if (key !== undefined) parts.push(`key ${maskStreamKey(key)}`);
  return parts.join(' / ');
}

/** Human lines for one takedown's status. */
export function describeJobStatus(status: JobStatus): string[] {
  const rows: [string, string][] = [['state', status.state]];
  const target = describeTarget(status.payload);
  if (target !== '') rows.push(['target', target]);
  const region = payloadField(status.payload, 'region');
  const appId = payloadField(status.payload, 'appId');
  if (region !== undefined || appId !== undefined) {
    rows.push(['where', `region ${region ?? '?'}, App ID ${appId ?? '?'}`]);
  }
  const priority = payloadField(status.payload, 'priority');
  if (priority !== undefined) rows.push(['priority', priority]);
  rows.push(['step', status.step ?? 'not started']);
  rows.push(['attempts', String(status.attempts)]);
  if (status.result !== undefined) rows.push(['result', describeResult(status.result)]);
  if (status.lastError !== undefined) rows.push(['last error', describeJobError(status.lastError)]);
  const t = status.timestamps;
  if (t.enqueuedAt !== undefined) rows.push(['enqueued', t.enqueuedAt]);
  if (t.dueAt !== undefined) rows.push(['due', t.dueAt]);
  if (t.startedAt !== undefined) rows.push(['started', t.startedAt]);
  if (t.finishedAt !== undefined) rows.push(['finished', t.finishedAt]);
  if (t.deadLetteredAt !== undefined) rows.push(['dead-lettered', t.deadLetteredAt]);
  if (status.confirmedAt !== undefined && status.confirmation !== undefined) {
    const c = status.confirmation;
    const code = c.errorCode === undefined ? '' : ` errorCode ${c.errorCode}`;
    rows.push(['confirmed', `${status.confirmedAt} by Agora ${c.event}${code} (sid ${c.sid})`]);
  }
  const rule = payloadField(status.payload, 'ruleId');
  if (rule !== undefined) rows.push(['rule', rule]);
  const width = Math.max(...rows.map(([k]) => k.length));
  const lines = [
    `takedown ${maskJobId(status.jobId)}`,
    ...rows.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`),
  ];
  for (const other of status.related ?? []) {
    lines.push(
      `  also: ${maskJobId(other.jobId)} (${other.state}${other.timestamps.dueAt === undefined ? '' : `, due ${other.timestamps.dueAt}`})`,
    );
  }
  return lines;
}

/** Human lines for a batch's progress. */
export function describeBatchStatus(status: BatchStatus): string[] {
  const lines = [
    `batch ${status.batchId}: ${status.total} takedowns, ${status.completedPercent}% completed` +
      (status.rejected > 0 ? ` (${status.rejected} rows were rejected at enqueue)` : ''),
  ];
  const rows = Object.entries(status.counts)
    .filter(([state, n]) => n > 0 || state !== 'unknown')
    .map(([state, n]) => [state, String(n)]);
  lines.push(...formatTable(['STATE', 'COUNT'], rows).map((l) => `  ${l}`));
  if (status.createdAt !== undefined) lines.push(`  created ${status.createdAt}`);
  return lines;
}

/** Human lines for one DLQ entry (`dlq show`). */
export function describeDeadLetter(entry: DeadLetterEntry): string[] {
  const rows: [string, string][] = [];
  const target = describeTarget(entry);
  if (target !== '') rows.push(['target', target]);
  if (entry.region !== undefined || entry.appId !== undefined) {
    rows.push(['where', `region ${entry.region ?? '?'}, App ID ${entry.appId ?? '?'}`]);
  }
  rows.push(['failed step', entry.failedStep]);
  rows.push(['reason', entry.reason]);
  rows.push(['attempts', String(entry.attempts)]);
  rows.push(['error', describeJobError(entry.error)]);
  rows.push(['failed at', entry.failedAt]);
  if (entry.enqueuedAt !== undefined) rows.push(['enqueued', entry.enqueuedAt]);
  const width = Math.max(...rows.map(([k]) => k.length));
  return [
    `dead-lettered takedown ${maskJobId(entry.jobId)}`,
    ...rows.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`),
    `  payload  ${JSON.stringify(maskStreamKeys(entry.payload))}`,
  ];
}
