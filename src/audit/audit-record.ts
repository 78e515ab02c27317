import { MODERATION_FIELDS } from '../jobs/index.js';
import type { ModerationFields } from '../jobs/index.js';
import type { AuditEvent } from './audit-event.js';

/**
 * One takedown's audit trail, as exported (`takedown audit export --format jsonl`), with the
 * moderation fields (DSA statement of reasons) its request carried.
 */
export interface AuditRecord extends ModerationFields {
  jobId: string;
  requestedAt: string;
  /** The intake token's name, `--requested-by` / the OS user, or what a library caller set. */
  requestedBy?: string;
  reason?: string;
  priority?: string;
  batchId?: string;
  region?: string;
  /** Regions the key was also revoked and cut in (the request's extraRegions). */
  extraRegions?: string[];
  appId?: string;
  sid?: string;
  /** Masked (`abcd…xyz`): a stream key is a push credential. */
  streamKey?: string;
  streamKeyFingerprint?: string;
  channel?: string;
  /** Scheme, host and path only. */
  callbackUrl?: string;
  /** When the stream started (Agora's beginAt), when a call showed it. */
  streamStartedAt?: string;
  steps: { step: string; at: string; durationMs: number }[];
  calls: { op: string; region: string; status: number; requestId: string; at: string }[];
  /** The first successful revoke or disconnect: when the takedown took effect. */
  effectiveAt?: string;
  outcome?: string;
  outcomeAt?: string;
  keyRevoked?: boolean;
  sidsDisconnected?: number;
  deadLetter?: {
    reason: string;
    failedStep: string;
    attempts: number;
    error: { name: string; status?: number; message: string; requestId?: string };
  };
  confirmations: { at: string; source: string; what?: string }[];
  callbacks: { at: string; type: string; result: string; status?: number }[];
}

const iso = (ms: number): string => new Date(ms).toISOString();
const EFFECTIVE_OPS = new Set(['delete-key', 'disconnect']);
const REQUEST_FIELDS = [
  'requestedBy',
  'reason',
  'priority',
  'batchId',
  'region',
  'extraRegions',
  'appId',
  'sid',
  'channel',
  'callbackUrl',
  ...MODERATION_FIELDS,
] as const;

function parseEvents(text: string): AuditEvent[] {
  const events: AuditEvent[] = [];
  for (const raw of text.split('\n')) {
    if (raw === '') continue;
    try {
      events.push(JSON.parse(raw) as AuditEvent);
    } catch {
      // A torn line cannot happen with APPEND; skip rather than lose the rest of the record.
    }
  }
  return events;
}

/** Folds a stored record's events into one record (events are in the order they happened). */
export function toAuditRecord(recordId: string, requestedAtMs: number, text: string): AuditRecord {
  const at = recordId.lastIndexOf('@');
  const record: AuditRecord = {
    jobId: at === -1 ? recordId : recordId.slice(0, at),
    requestedAt: iso(requestedAtMs),
    steps: [],
    calls: [],
    confirmations: [],
    callbacks: [],
  };
  let started: number | undefined;
  for (const ev of parseEvents(text)) {
    switch (ev.e) {
      case 'q': {
        const p = ev.p;
        for (const field of REQUEST_FIELDS) {
          if (p[field] !== undefined)
            (record as unknown as Record<string, unknown>)[field] = p[field];
        }
        if (typeof p['km'] === 'string') record.streamKey = p['km'];
        if (typeof p['kf'] === 'string') record.streamKeyFingerprint = p['kf'];
        break;
      }
      case 's':
        record.steps.push({ step: ev.s, at: iso(ev.t), durationMs: ev.d });
        break;
      case 'c':
        record.calls.push({
          op: ev.o,
          region: ev.r,
          status: ev.st,
          requestId: ev.id,
          at: iso(ev.t),
        });
        if (
          record.effectiveAt === undefined &&
          EFFECTIVE_OPS.has(ev.o) &&
          ev.st >= 200 &&
          ev.st < 300
        )
          record.effectiveAt = iso(ev.t);
        break;
      case 'b': {
        const ms = Date.parse(ev.b);
        if (Number.isFinite(ms) && (started === undefined || ms < started)) started = ms;
        break;
      }
      case 'o':
        record.outcome = ev.o;
        record.outcomeAt = iso(ev.t);
        record.keyRevoked = ev.kr;
        record.sidsDisconnected = ev.dc;
        delete record.deadLetter;
        break;
      case 'x':
        // A completed outcome wins: the reconciler drops DLQ entries of takedowns that completed.
        if (record.outcome === undefined || record.outcome === 'dead-lettered') {
          record.outcome = 'dead-lettered';
          record.outcomeAt = iso(ev.t);
          record.deadLetter = { reason: ev.r, failedStep: ev.fs, attempts: ev.a, error: ev.err };
        }
        break;
      case 'k':
        record.confirmations.push({
          at: iso(ev.t),
          source: ev.src,
          ...(ev.what === undefined ? {} : { what: ev.what }),
        });
        break;
      case 'cb':
        record.callbacks.push({
          at: iso(ev.t),
          type: ev.ty,
          result: ev.res,
          ...(ev.st === undefined ? {} : { status: ev.st }),
        });
        break;
    }
  }
  if (started !== undefined) record.streamStartedAt = iso(started);
  return record;
}
