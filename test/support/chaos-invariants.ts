import type { Job, Queue } from 'bullmq';
import type { DeadLetterEntry } from '../../src/jobs/index.js';
import type { CallLogEntry, SimulatorAdmin } from '../../src/simulator/index.js';

/**
 * The four promises every chaos scenario ends by checking (issue 6), from the simulator's call
 * log and from Redis:
 *   1. every takedown completed (or sits in the DLQ for a reason the scenario allows);
 *   2. no stream of a taken-down key is live;
 *   3. no disconnect preceded its key's revocation (call-log arrival order; plus: the simulator
 *      saw no encoder reconnect at all, which is what a wrong order would cause);
 *   4. no takedown made more API calls than its attempts explain.
 */

/** One takedown the scenario enqueued, with everything the simulator knows about its stream. */
export interface ChaosTarget {
  jobId: string;
  appId: string;
  region: string;
  streamKey: string;
  /** Channel of the key (list-streams calls are attributed to the key through it). */
  channel: string;
  /** Every SID the test knows for this key (the seeded session). */
  sids: readonly string[];
}

export interface InvariantOptions {
  admin: SimulatorAdmin;
  queue: Queue;
  dlq: Queue<DeadLetterEntry>;
  targets: readonly ChaosTarget[];
  /** Regions each key is revoked in per attempt (1 + AGORA_KEY_REGIONS). @defaultValue 1 */
  regionsPerAttempt?: number;
  /** Verify rounds per attempt (TAKEDOWN_VERIFY_ROUNDS). @defaultValue 3 */
  verifyRounds?: number;
  /** A DLQ entry this returns true for is acceptable (a stated reason); default: none is. */
  allowDead?: (entry: DeadLetterEntry) => boolean;
}

export interface InvariantSummary {
  targets: number;
  completed: number;
  deadLettered: number;
  calls: number;
  /** API calls per status, e.g. { "200": 9000, "503": 1200, "0": 40 } (0 = never answered). */
  byStatus: Record<string, number>;
  /** Most runs of one job (BullMQ attemptsStarted: retries, stall recoveries, 429 parks). */
  maxAttemptsStarted: number;
  /** Most attempts one job used (BullMQ attemptsMade, which counts the successful one too), against TAKEDOWN_ATTEMPTS. */
  maxAttemptsMade: number;
  reconnects: number;
}

export interface InvariantReport {
  /** Human-readable, one per broken promise instance (empty = all promises kept). */
  violations: string[];
  summary: InvariantSummary;
}

const PAGE = 1000;

/** Every job of the given states, paged (getJobs with a huge range holds everything at once). */
async function jobsIn(queue: Queue, states: ('completed' | 'failed')[]): Promise<Job[]> {
  const out: Job[] = [];
  for (let start = 0; ; start += PAGE) {
    const page = (await queue.getJobs(states, start, start + PAGE - 1, true)) as (
      Job | undefined
    )[];
    for (const job of page) if (job !== undefined) out.push(job);
    if (page.length < PAGE) return out;
  }
}

function channelOf(path: string): string | undefined {
  const q = path.indexOf('?');
  if (q < 0) return undefined;
  return new URLSearchParams(path.slice(q + 1)).get('channel') ?? undefined;
}

/** Order check alone (exported for a control run): disconnects that came before revocation. */
export function orderViolations(
  calls: readonly CallLogEntry[],
  sidToKey: ReadonlyMap<string, string>,
): string[] {
  const revokedAt = new Map<string, number>();
  const out: string[] = [];
  for (const call of [...calls].sort((a, b) => a.seq - b.seq)) {
    if (
      call.op === 'delete-key' &&
      call.streamKey !== undefined &&
      (call.status === 200 || call.status === 404) &&
      !revokedAt.has(call.streamKey)
    ) {
      revokedAt.set(call.streamKey, call.seq);
    }
    // Every disconnect counts, whatever it was answered: the worker must not even try first.
    if (call.op !== 'disconnect' || call.sid === undefined) continue;
    const key = sidToKey.get(call.sid);
    if (key === undefined) {
      out.push(`call #${call.seq}: disconnect of SID ${call.sid}, which no takedown names`);
    } else if (!revokedAt.has(key)) {
      out.push(
        `call #${call.seq}: disconnect of SID ${call.sid} (status ${call.status}) before key ${key} was revoked`,
      );
    }
  }
  return out;
}

/** Checks the four promises; returns what broke (nothing = the scenario passed). */
export async function checkChaosInvariants(options: InvariantOptions): Promise<InvariantReport> {
  const { admin, queue, dlq, targets } = options;
  const regionsPerAttempt = options.regionsPerAttempt ?? 1;
  const verifyRounds = options.verifyRounds ?? 3;
  const violations: string[] = [];

  // ── 1. completed, or dead-lettered for an allowed reason ──
  const finished = new Map<string, Job>();
  for (const job of await jobsIn(queue, ['completed'])) {
    if (job.id !== undefined) finished.set(job.id, job);
  }
  const failed = new Map<string, Job>();
  for (const job of await jobsIn(queue, ['failed'])) {
    if (job.id !== undefined) failed.set(job.id, job);
  }
  // The DLQ has no worker: entries wait there until redriven or purged.
  const deadJobs = (await dlq.getJobs(
    ['waiting', 'prioritized', 'delayed', 'active', 'completed', 'failed'],
    0,
    -1,
  )) as (Job<DeadLetterEntry> | undefined)[];
  const dead = new Map<string, DeadLetterEntry>();
  for (const job of deadJobs) if (job?.id !== undefined) dead.set(job.id, job.data);

  let completed = 0;
  let deadLettered = 0;
  for (const t of targets) {
    if (finished.has(t.jobId)) {
      completed += 1;
      continue;
    }
    const entry = dead.get(t.jobId);
    if (entry !== undefined) {
      deadLettered += 1;
      if (options.allowDead?.(entry) !== true) {
        violations.push(
          `${t.jobId}: dead-lettered (${entry.reason}, step ${entry.failedStep}, ${entry.attempts} attempts): ${entry.error.message}`,
        );
      }
      continue;
    }
    const job = failed.get(t.jobId) ?? (await queue.getJob(t.jobId));
    const state = job === undefined ? 'missing (lost)' : await job.getState();
    violations.push(`${t.jobId}: neither completed nor dead-lettered; state ${state}`);
  }
  for (const [id, entry] of dead) {
    if (!targets.some((t) => t.jobId === id)) {
      violations.push(
        `DLQ holds ${id} (${entry.reason}), which is not one of the scenario's takedowns`,
      );
    }
  }

  // ── 2. no stream of a taken-down key is live ──
  const keys = new Map<string, ChaosTarget>();
  for (const t of targets) keys.set(t.streamKey, t);
  const appIds = [...new Set(targets.map((t) => t.appId))];
  for (const appId of appIds) {
    for (const s of await admin.streams({ appId })) {
      if (keys.has(s.streamKey)) {
        violations.push(`stream ${s.sid} of taken-down key ${s.streamKey} is still live`);
      }
    }
  }

  // ── 3. order: revoke before every disconnect; and no reconnect happened anywhere ──
  const calls = await admin.calls(0);
  const sidToKey = new Map<string, string>();
  const channelToKey = new Map<string, string>();
  for (const t of targets) {
    for (const sid of t.sids) sidToKey.set(sid, t.streamKey);
    channelToKey.set(t.channel, t.streamKey);
  }
  violations.push(...orderViolations(calls, sidToKey));
  const stats = await admin.stats();
  if (stats.reconnects > 0) {
    violations.push(
      `the simulator saw ${stats.reconnects} encoder reconnect(s): some session was cut while its key was still valid`,
    );
  }

  // ── 4. calls per takedown within what its attempts explain ──
  const perKey = new Map<string, { deleteKey: number; deleted200: number; total: number }>();
  const perSid = new Map<string, number>();
  const byStatus: Record<string, number> = {};
  for (const call of calls) {
    byStatus[String(call.status)] = (byStatus[String(call.status)] ?? 0) + 1;
    let key: string | undefined;
    if (call.streamKey !== undefined) key = call.streamKey;
    else if (call.sid !== undefined) key = sidToKey.get(call.sid);
    else if (call.op === 'list-streams') {
      const channel = channelOf(call.path);
      key = channel === undefined ? undefined : channelToKey.get(channel);
    }
    if (key === undefined || !keys.has(key)) {
      violations.push(
        `call #${call.seq} ${call.method} ${call.path}: not attributable to any takedown`,
      );
      continue;
    }
    const c = perKey.get(key) ?? { deleteKey: 0, deleted200: 0, total: 0 };
    c.total += 1;
    if (call.op === 'delete-key') {
      c.deleteKey += 1;
      if (call.status === 200) c.deleted200 += 1;
    }
    perKey.set(key, c);
    if (call.op === 'disconnect' && call.sid !== undefined) {
      perSid.set(call.sid, (perSid.get(call.sid) ?? 0) + 1);
    }
  }
  let maxAttemptsStarted = 0;
  let maxAttemptsMade = 0;
  for (const t of targets) {
    const job = finished.get(t.jobId) ?? failed.get(t.jobId);
    // A takedown still unfinished was reported above; its calls cannot be judged.
    if (job === undefined) continue;
    const started = job.attemptsStarted;
    maxAttemptsStarted = Math.max(maxAttemptsStarted, started);
    maxAttemptsMade = Math.max(maxAttemptsMade, job.attemptsMade);
    const c = perKey.get(t.streamKey) ?? { deleteKey: 0, deleted200: 0, total: 0 };
    const sidsKnown = t.sids.length;
    // One attempt: resolve (query-key + list, or query-stream), one delete per region, a
    // disconnect per SID, and per verify round a list plus a re-cut of what it found.
    const perAttempt = 2 + regionsPerAttempt + sidsKnown + verifyRounds * (1 + sidsKnown);
    if (c.deleteKey > started * regionsPerAttempt) {
      violations.push(
        `${t.jobId}: ${c.deleteKey} delete-key calls for key ${t.streamKey} in ${started} started attempt(s)`,
      );
    }
    if (c.deleted200 > regionsPerAttempt) {
      violations.push(`${t.jobId}: key ${t.streamKey} was deleted (200) ${c.deleted200} times`);
    }
    if (c.total > started * perAttempt) {
      violations.push(
        `${t.jobId}: ${c.total} API calls in ${started} started attempt(s) (at most ${perAttempt} per attempt)`,
      );
    }
    for (const sid of t.sids) {
      const n = perSid.get(sid) ?? 0;
      if (n > started) {
        violations.push(
          `${t.jobId}: SID ${sid} disconnected ${n} times in ${started} started attempt(s)`,
        );
      }
    }
  }

  return {
    violations,
    summary: {
      targets: targets.length,
      completed,
      deadLettered,
      calls: calls.length,
      byStatus,
      maxAttemptsStarted,
      maxAttemptsMade,
      reconnects: stats.reconnects,
    },
  };
}

/** Formats a report's first violations for an assertion message. */
export function describeViolations(report: InvariantReport, max = 20): string {
  const shown = report.violations.slice(0, max).join('\n  ');
  const more =
    report.violations.length > max ? `\n  … and ${report.violations.length - max} more` : '';
  return `${report.violations.length} violation(s):\n  ${shown}${more}\nsummary: ${JSON.stringify(report.summary)}`;
}
