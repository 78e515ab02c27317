import type { DeadLetterEntry } from '../jobs/index.js';
import type { DemoState } from './demo-state.js';

export interface DemoSummaryInput {
  state: DemoState;
  /** Keys the demo took down that still had a live session at the end (should be none). */
  stillLiveKeys: readonly string[];
  /** How many keys that check covered. */
  checkedKeys: number;
  deadLetters: readonly DeadLetterEntry[];
  /** The job id of the takedown that is meant to fail. */
  expectedDeadJobId: string;
  durationMs: number;
  limits: { deleteRps: number; queryRps: number };
}

export interface DemoSummary {
  takenDown: number;
  alreadyOffline: number;
  refusedReconnects: number;
  foundByVerify: number;
  reconnectsBlocked: number;
  stillLive: number;
  inDlq: number;
  /** `<reason> at <step>: <status> <message>` of the (first) DLQ entry. */
  dlqReason: string;
  /** Batch takedowns finished before the urgent one; undefined if it never finished. */
  urgentAfter: number | undefined;
  batchTotal: number;
  /** What did not go as the demo promises; empty = success. */
  problems: string[];
  rows: [label: string, value: string, detail: string][];
}

function describeDeadLetter(entry: DeadLetterEntry | undefined): string {
  if (entry === undefined) return 'none';
  const { message, requestId } = entry.error;
  // The client's messages already quote the request id; add it only when one does not.
  const quote =
    requestId === undefined || message.includes(requestId) ? '' : ` (X-Request-ID ${requestId})`;
  return `${entry.reason} at step ${entry.failedStep}: ${message}${quote}`;
}

function clock(ms: number): string {
  return new Date(ms).toISOString().slice(11, 23);
}

function optionalClock(ms: number | undefined): string {
  return ms === undefined ? 'never' : clock(ms);
}

/** Turns the demo's final state into the numbers it promises, and says which promise broke. */
export function buildSummary(input: DemoSummaryInput): DemoSummary {
  const { state, deadLetters } = input;
  const { batch, urgent, expiry, offline } = state;
  const problems: string[] = [];

  const takenDown =
    batch.takenDown +
    (urgent.outcome === 'taken-down' ? 1 : 0) +
    (expiry.outcome === 'taken-down' ? 1 : 0);
  if (batch.takenDown !== batch.total) {
    problems.push(
      `${batch.total - batch.takenDown} of ${batch.total} batch takedowns did not take their stream down`,
    );
  }
  if (urgent.outcome !== 'taken-down')
    problems.push('the urgent takedown did not take its stream down');
  const urgentAfter = urgent.status === 'done' ? urgent.batchDoneAtFinish : undefined;
  if (urgentAfter !== undefined && urgentAfter >= batch.total / 2) {
    problems.push(
      `the urgent takedown finished only after ${urgentAfter} of ${batch.total} batch takedowns`,
    );
  }
  if (expiry.outcome !== 'taken-down')
    problems.push('the scheduled expiry did not take its stream down');
  if (
    expiry.finishedAt !== undefined &&
    expiry.dueAt !== undefined &&
    expiry.finishedAt < expiry.dueAt
  ) {
    problems.push('the scheduled expiry ran before its due time');
  }
  if (offline.outcome !== 'already-offline') {
    problems.push(
      `the offline stream's takedown ended ${offline.outcome ?? 'unfinished'}, not already-offline`,
    );
  }
  const expected = deadLetters.find((e) => e.jobId === input.expectedDeadJobId);
  if (deadLetters.length !== 1 || expected === undefined) {
    problems.push(
      `the DLQ holds ${deadLetters.length} entries; expected exactly the one failing takedown`,
    );
  }
  if (input.stillLiveKeys.length > 0) {
    problems.push(`still live after the takedown: ${input.stillLiveKeys.slice(0, 5).join(', ')}`);
  }

  const refusedReconnects = state.sim.refusedReconnects;
  const foundByVerify = state.foundByVerify;
  const dlqReason = describeDeadLetter(expected ?? deadLetters[0]);
  const rows: DemoSummary['rows'] = [
    ['taken down', String(takenDown), `${batch.takenDown} batch + urgent + scheduled expiry`],
    [
      'already offline',
      offline.outcome === 'already-offline' ? '1' : '0',
      'nothing left to revoke or cut',
    ],
    [
      'reconnects blocked',
      String(refusedReconnects + foundByVerify),
      `refused because the key was revoked first: ${refusedReconnects} · found and cut by verify: ${foundByVerify}`,
    ],
    [
      'still live',
      String(input.stillLiveKeys.length),
      `of the ${input.checkedKeys} keys taken down, checked after the reconnect delay`,
    ],
    ['in the DLQ', String(deadLetters.length), dlqReason],
    [
      'urgent vs batch',
      urgentAfter === undefined ? '-' : `#${urgentAfter + 1}`,
      urgentAfter === undefined
        ? 'did not finish'
        : `finished after ${urgentAfter} of ${batch.total} batch takedowns (enqueued at ${urgent.batchDoneAtEnqueue ?? 0}), ahead of the other ${batch.total - urgentAfter}`,
    ],
    [
      'scheduled expiry',
      expiry.startedAt !== undefined && expiry.dueAt !== undefined
        ? `+${((expiry.startedAt - expiry.dueAt) / 1000).toFixed(1)} s`
        : '-',
      expiry.dueAt === undefined
        ? 'not scheduled'
        : `due ${clock(expiry.dueAt)} UTC, started ${optionalClock(expiry.startedAt)}, done ${optionalClock(expiry.finishedAt)}`,
    ],
    [
      'API calls',
      String(state.sim.calls),
      `${state.sim.tooManyRequests} answered 429 (limiter: ${input.limits.deleteRps} deletes/s, ${input.limits.queryRps} queries/s per App ID)`,
    ],
  ];
  if (state.retries > 0)
    rows.push([
      'retried attempts',
      String(state.retries),
      'transient errors, retried with backoff',
    ]);

  return {
    takenDown,
    alreadyOffline: offline.outcome === 'already-offline' ? 1 : 0,
    refusedReconnects,
    foundByVerify,
    reconnectsBlocked: refusedReconnects + foundByVerify,
    stillLive: input.stillLiveKeys.length,
    inDlq: deadLetters.length,
    dlqReason,
    urgentAfter,
    batchTotal: batch.total,
    problems,
    rows,
  };
}

/** The summary table as lines: label, value, detail in aligned columns. */
export function formatSummary(summary: DemoSummary, durationMs: number): string[] {
  const labelWidth = Math.max(...summary.rows.map(([label]) => label.length));
  const valueWidth = Math.max(...summary.rows.map(([, value]) => value.length));
  const lines = [
    '',
    `Summary (${(durationMs / 1000).toFixed(1)} s)`,
    ...summary.rows.map(([label, value, detail]) =>
      `  ${label.padEnd(labelWidth)}  ${value.padStart(valueWidth)}  ${detail}`.trimEnd(),
    ),
  ];
  if (summary.problems.length > 0) {
    lines.push('', 'The demo did not go as expected:', ...summary.problems.map((p) => `  - ${p}`));
  }
  return lines;
}
