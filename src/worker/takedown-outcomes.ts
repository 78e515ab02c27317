import type { LoggerLike } from '../agora/index.js';
import { auditRecordId, toRequestEvent } from '../audit/index.js';
import type { AuditEvent, AuditStore } from '../audit/index.js';
import { completedBody, confirmedBody, deadLetteredBody } from '../callbacks/index.js';
import type { CallbackBody, CallbackSender } from '../callbacks/index.js';
import { parseTakedownPayload } from '../jobs/index.js';
import type { DeadLetterEntry, TakedownPayload } from '../jobs/index.js';
import type { JobRun, WorkerHooks } from './worker-hooks.js';

export interface TakedownOutcomesOptions {
  audit: AuditStore;
  /** Absent: no callbacks are queued (the audit trail is still kept). */
  callbacks?: CallbackSender;
  logger: LoggerLike;
  now?: () => number;
}

/** An Agora confirmation that a takedown's stream is down. */
export interface TakedownConfirmation {
  jobId: string;
  /** The takedown's payload (`job.data.payload`). */
  payload: unknown;
  /** Where it came from, e.g. `ncs` (an Agora notification). */
  source: string;
  /** What Agora said (its event type or status). */
  what?: string;
  /** Identifies this confirmation (e.g. the notice id): the same one arriving twice is one callback. */
  id?: string;
  at?: Date;
}

export interface TakedownOutcomes {
  /** Worker hooks: each run's steps and calls, outcomes, and DLQ entries. */
  hooks: WorkerHooks;
  /** Records an Agora confirmation in the audit trail and sends the `takedown.confirmed` callback. */
  onTakedownConfirmed(confirmation: TakedownConfirmation): Promise<void>;
}

function validPayload(payload: unknown): TakedownPayload | undefined {
  const parsed = parseTakedownPayload(payload);
  return parsed.ok ? parsed.value : undefined;
}

/**
 * What the worker tells the outside world about a takedown: the audit trail (steps, Agora calls,
 * outcome, DLQ entry, confirmations) and, when the request named a callbackUrl, the signed
 * callbacks — queued on their own queue, so a receiver can never delay or fail the takedown.
 */
export function createTakedownOutcomes(options: TakedownOutcomesOptions): TakedownOutcomes {
  const { audit, callbacks, logger } = options;
  const now = options.now ?? Date.now;

  const sendCallback = async (
    payload: TakedownPayload | undefined,
    jobId: string,
    body: (p: TakedownPayload) => CallbackBody,
    discriminator?: string,
  ): Promise<void> => {
    if (callbacks === undefined || payload?.callbackUrl === undefined) return;
    await callbacks.send({
      url: payload.callbackUrl,
      body: body(payload),
      takedownJobId: jobId,
      requestedAt: payload.requestedAt,
      recordId: auditRecordId(jobId, payload.requestedAt),
      ...(discriminator === undefined ? {} : { discriminator }),
    });
  };

  const onRunFinished = async (run: JobRun): Promise<void> => {
    const events: AuditEvent[] = [];
    for (const s of run.steps) events.push({ e: 's', t: s.at, s: s.step, d: s.durationMs });
    for (const c of run.calls) {
      events.push({ e: 'c', t: c.at, o: c.op, r: c.region, st: c.status, id: c.requestId });
    }
    for (const b of new Set(run.streamSeen)) events.push({ e: 'b', t: run.finishedAt, b });
    if (run.end === 'completed' && run.result !== undefined) {
      events.push({
        e: 'o',
        t: run.finishedAt,
        o: run.result.outcome,
        kr: Object.values(run.result.revoked).includes('deleted'),
        dc: run.result.disconnected.length,
      });
    }
    const payload = validPayload(run.payload);
    const writes: Promise<unknown>[] = [];
    // A run parked before its first call has nothing to add.
    if (events.length > 0) {
      const { event, requestedAt } = toRequestEvent(
        run.jobId,
        run.payload,
        new Date(run.enqueuedAt).toISOString(),
        now(),
      );
      writes.push(audit.append({ request: event, requestedAt, events }));
    }
    if (run.end === 'completed' && run.result !== undefined) {
      const { result } = run;
      writes.push(
        sendCallback(payload, run.jobId, (p) =>
          completedBody(run.jobId, p, result, new Date(run.finishedAt)),
        ),
      );
    }
    const failed = (await Promise.allSettled(writes)).find((r) => r.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
  };

  const onDeadLetter = (entry: DeadLetterEntry): void => {
    const at = Date.parse(entry.failedAt);
    const t = Number.isFinite(at) ? at : now();
    const { event, requestedAt } = toRequestEvent(
      entry.jobId,
      entry.payload,
      entry.enqueuedAt ?? entry.failedAt,
      now(),
    );
    const payload = validPayload(entry.payload);
    const work = Promise.all([
      audit.append({
        request: event,
        requestedAt,
        events: [
          { e: 'x', t, r: entry.reason, fs: entry.failedStep, a: entry.attempts, err: entry.error },
        ],
      }),
      sendCallback(payload, entry.jobId, (p) => deadLetteredBody(p, entry, new Date(t))),
    ]);
    work.catch((err: unknown) =>
      logger.error(
        { jobId: entry.jobId, err: err instanceof Error ? err.message : String(err) },
        'could not record the dead-lettered takedown in the audit trail or queue its callback',
      ),
    );
  };

  return {
    hooks: { onRunFinished, onDeadLetter: (entry) => onDeadLetter(entry) },
    async onTakedownConfirmed(confirmation) {
      const at = confirmation.at ?? new Date(now());
      const { event, requestedAt } = toRequestEvent(
        confirmation.jobId,
        confirmation.payload,
        at.toISOString(),
        now(),
      );
      const payload = validPayload(confirmation.payload);
      const confirmed = {
        at,
        source: confirmation.source,
        ...(confirmation.what === undefined ? {} : { what: confirmation.what }),
      };
      await Promise.all([
        audit.append({
          request: event,
          requestedAt,
          events: [
            {
              e: 'k',
              t: at.getTime(),
              src: confirmation.source,
              ...(confirmation.what === undefined ? {} : { what: confirmation.what }),
            },
          ],
        }),
        sendCallback(
          payload,
          confirmation.jobId,
          (p) => confirmedBody(confirmation.jobId, p, confirmed),
          confirmation.id ?? String(at.getTime()),
        ),
      ]);
    },
  };
}
