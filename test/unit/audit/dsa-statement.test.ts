import { describe, expect, it } from 'vitest';
import { toDsaStatement, toPuid } from '../../../src/audit/index.js';
import type { AuditRecord } from '../../../src/audit/index.js';

const PUID_RE = /^[a-zA-Z0-9-_]+$/;

function without(key: keyof AuditRecord): AuditRecord {
  const r = record({});
  delete r[key];
  return r;
}

function record(overrides: Partial<AuditRecord>): AuditRecord {
  return {
    jobId: 'sid-app1-s.1',
    requestedAt: '2026-03-04T10:00:00.000Z',
    reason: 'shown weapons',
    decisionGround: 'DECISION_GROUND_ILLEGAL_CONTENT',
    legalGround: 'StGB §86a',
    category: 'STATEMENT_CATEGORY_VIOLENCE',
    facts: 'Live stream displayed prohibited symbols.',
    automatedDetection: true,
    automatedDecision: 'AUTOMATED_DECISION_NOT_AUTOMATED',
    territorialScope: ['DE'],
    outcome: 'taken-down',
    outcomeAt: '2026-03-04T10:00:03.000Z',
    effectiveAt: '2026-03-04T10:00:01.000Z',
    streamStartedAt: '2026-03-03T23:50:00.000Z',
    keyRevoked: true,
    steps: [],
    calls: [],
    confirmations: [],
    callbacks: [],
    ...overrides,
  };
}

describe('DSA statements of reasons (issue 15)', () => {
  it('fills in what the takedown knows and the moderation fields', () => {
    const built = toDsaStatement(record({}));
    expect(built.ok).toBe(true);
    if (!built.ok) return;
    expect(built.statement).toEqual({
      decision_visibility: ['DECISION_VISIBILITY_CONTENT_DISABLED'],
      decision_provision: 'DECISION_PROVISION_PARTIAL_SUSPENSION',
      decision_ground: 'DECISION_GROUND_ILLEGAL_CONTENT',
      illegal_content_legal_ground: 'StGB §86a',
      illegal_content_explanation: 'shown weapons',
      content_type: ['CONTENT_TYPE_VIDEO'],
      category: 'STATEMENT_CATEGORY_VIOLENCE',
      decision_facts: 'Live stream displayed prohibited symbols.',
      source_type: 'SOURCE_VOLUNTARY',
      automated_detection: 'Yes',
      automated_decision: 'AUTOMATED_DECISION_NOT_AUTOMATED',
      content_date: '2026-03-03',
      application_date: '2026-03-04',
      territorial_scope: ['DE'],
      puid: toPuid('sid-app1-s.1', '2026-03-04T10:00:00.000Z'),
    });
    expect(built.statement.puid).toMatch(PUID_RE);
  });

  it('incompatible content uses the contractual ground fields; no provision without a revoked key', () => {
    const built = toDsaStatement(
      record({ decisionGround: 'DECISION_GROUND_INCOMPATIBLE_CONTENT', keyRevoked: false }),
    );
    if (!built.ok) throw new Error(built.why);
    expect(built.statement).toMatchObject({
      incompatible_content_ground: 'StGB §86a',
      incompatible_content_explanation: 'shown weapons',
    });
    expect(built.statement).not.toHaveProperty('illegal_content_legal_ground');
    expect(built.statement).not.toHaveProperty('decision_provision');
  });

  it('has no statement without moderation fields or without an effect', () => {
    expect(toDsaStatement(without('decisionGround'))).toEqual({
      ok: false,
      why: 'no moderation fields',
    });
    expect(toDsaStatement(record({ outcome: 'dead-lettered' }))).toMatchObject({ ok: false });
    expect(toDsaStatement(record({ outcome: 'nothing-found' }))).toMatchObject({ ok: false });
    expect(toDsaStatement(without('outcome'))).toMatchObject({ ok: false });
  });

  it('puids are safe, distinct for distinct ids and requests, and at most 500 characters', () => {
    const ids = ['key-app-a.b', 'key-app-a_2Eb', 'key-app-a%3Ab', 'sid-app-ü', 'x'.repeat(600)];
    const puids = ids.map((id) => toPuid(id, '2026-01-01T00:00:00.000Z'));
    for (const p of puids) {
      expect(p).toMatch(PUID_RE);
      expect(p.length).toBeLessThanOrEqual(500);
    }
    expect(new Set(puids).size).toBe(ids.length);
    expect(toPuid('sid-a-1', '2026-01-01T00:00:00.000Z')).not.toBe(
      toPuid('sid-a-1', '2026-01-01T00:00:00.001Z'),
    );
  });
});
