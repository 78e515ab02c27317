import { createHash } from 'node:crypto';
import type { AuditRecord } from './audit-record.js';

/**
 * A DSA Transparency Database statement of reasons (POST /api/v1/statements takes
 * `{"statements": [...]}` of 1–100 of these) built from a takedown's audit record. The takedown
 * supplies what it knows — puid, dates, visibility (content disabled), provision (suspension,
 * when the key was revoked), content type (video) — and the request's moderation fields the rest.
 */
export interface DsaStatement {
  decision_visibility: string[];
  decision_provision?: string;
  decision_ground: string;
  illegal_content_legal_ground?: string;
  illegal_content_explanation?: string;
  incompatible_content_ground?: string;
  incompatible_content_explanation?: string;
  content_type: string[];
  category: string;
  decision_facts: string;
  source_type: string;
  automated_detection: 'Yes' | 'No';
  automated_decision: string;
  content_date: string;
  application_date: string;
  territorial_scope?: string[];
  puid: string;
}

/** Outcomes that restricted something: the others (nothing found, dead-lettered) had no effect. */
const RESTRICTED = new Set(['taken-down', 'already-offline']);
const PUID_MAX_CHARS = 500;

/**
 * `^[a-zA-Z0-9-_]+$`, unique and reversible: `_` doubles, every other byte outside the set
 * becomes `_XX` (hex), then `-<request ms>` (a job id is reused after the idempotency window).
 */
export function toPuid(jobId: string, requestedAt: string): string {
  let out = '';
  for (const byte of Buffer.from(jobId, 'utf8')) {
    const ch = String.fromCharCode(byte);
    if (/[A-Za-z0-9-]/.test(ch)) out += ch;
    else if (ch === '_') out += '__';
    else out += `_${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  const puid = `${out}-${Date.parse(requestedAt)}`;
  return puid.length <= PUID_MAX_CHARS
    ? puid
    : `h-${createHash('sha256').update(puid).digest('hex')}`;
}

const day = (iso: string): string => iso.slice(0, 10);

/** The statement, or why the record has none (a reason for the export's summary). */
export function toDsaStatement(
  r: AuditRecord,
): { ok: true; statement: DsaStatement } | { ok: false; why: string } {
  if (r.decisionGround === undefined) return { ok: false, why: 'no moderation fields' };
  if (r.outcome === undefined) return { ok: false, why: 'not finished' };
  if (!RESTRICTED.has(r.outcome)) return { ok: false, why: `outcome ${r.outcome}` };
  const explanation = r.reason ?? '';
  const ground = r.legalGround ?? '';
  const statement: DsaStatement = {
    decision_visibility: ['DECISION_VISIBILITY_CONTENT_DISABLED'],
    decision_ground: r.decisionGround,
    content_type: ['CONTENT_TYPE_VIDEO'],
    category: r.category ?? '',
    decision_facts: r.facts ?? '',
    source_type: r.sourceType ?? 'SOURCE_VOLUNTARY',
    automated_detection: r.automatedDetection === true ? 'Yes' : 'No',
    automated_decision: r.automatedDecision ?? '',
    content_date: day(r.streamStartedAt ?? r.requestedAt),
    application_date: day(r.effectiveAt ?? r.outcomeAt ?? r.requestedAt),
    puid: toPuid(r.jobId, r.requestedAt),
  };
  if (r.keyRevoked === true) statement.decision_provision = 'DECISION_PROVISION_PARTIAL_SUSPENSION';
  if (r.decisionGround === 'DECISION_GROUND_ILLEGAL_CONTENT') {
    statement.illegal_content_legal_ground = ground;
    statement.illegal_content_explanation = explanation;
  } else {
    statement.incompatible_content_ground = ground;
    statement.incompatible_content_explanation = explanation;
  }
  if (r.territorialScope !== undefined) statement.territorial_scope = [...r.territorialScope];
  return { ok: true, statement };
}
