import { Writable } from 'node:stream';
import { parse } from 'csv-parse/sync';
import { afterEach, describe, expect, it } from 'vitest';
import { exportAudit } from '../../../src/audit/index.js';
import type { AuditFormat, AuditRecord } from '../../../src/audit/index.js';
import { createMetrics } from '../../../src/metrics/index.js';
import { createOpsServer } from '../../../src/server/index.js';
import type { OpsServer } from '../../../src/server/index.js';
import { waitFor } from '../../support/wait-for.js';
import { createOutcomesWorld } from '../callbacks/outcomes-world.js';
import type { OutcomesWorld } from '../callbacks/outcomes-world.js';
import { APP_ID, testLogger } from '../worker/harness.js';

const TOKEN = 'bot-token-0123456789abcdef';

async function exported(world: OutcomesWorld, format: AuditFormat): Promise<string> {
  const chunks: string[] = [];
  const out = new Writable({
    write(chunk: Buffer, _enc, done) {
      chunks.push(chunk.toString('utf8'));
      done();
    },
  });
  await exportAudit({ store: world.audit, format, out, pageSize: 2 });
  return chunks.join('');
}

describe('audit trail export (issue 15)', () => {
  let world: OutcomesWorld | undefined;
  let server: OpsServer | undefined;
  afterEach(async () => {
    await server?.close();
    await world?.close();
    world = undefined;
    server = undefined;
  });

  it('covers a batch, an expiry, a DLQ entry and an intake request, each with its requester', async () => {
    world = await createOutcomesWorld({ secret: undefined });
    const { h } = world;
    const streams = await h.admin.seed({ appId: APP_ID, region: 'na', count: 5 });
    const [b1, b2, exp, dead, viaIntake] = streams;
    if (!b1 || !b2 || !exp || !dead || !viaIntake) throw new Error('seed');
    await h.admin.setFaults({
      rules: [{ op: 'delete-key', streamKey: dead.streamKey, status: 403, message: 'Forbidden.' }],
    });

    const batch = await h.producer.enqueueMany([
      {
        region: 'na',
        sid: b1.sid,
        streamKey: b1.streamKey,
        requestedBy: 'carol',
        reason: 'sweep, "policy" 4.2',
      },
      { region: 'na', sid: b2.sid, streamKey: b2.streamKey, requestedBy: 'carol' },
    ]);
    await h.producer.scheduleExpiry(
      { region: 'na', streamKey: exp.streamKey, requestedBy: 'booking-system' },
      new Date(Date.now() + 300),
    );
    const deadJob = await h.producer.enqueue({
      region: 'na',
      sid: dead.sid,
      streamKey: dead.streamKey,
      requestedBy: 'dave',
    });
    server = await createOpsServer({
      host: '127.0.0.1',
      port: 0,
      logger: testLogger(),
      metrics: createMetrics({ defaultMetrics: false }),
      isReady: () => Promise.resolve({ ready: true }),
      intake: {
        tokens: [`moderation-bot:${TOKEN}`],
        maxBatch: 10,
        bodyLimitBytes: 64 * 1024,
        producer: h.producer,
      },
    });
    const res = await fetch(`${server.url}/v1/takedowns`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        region: 'na',
        sid: viaIntake.sid,
        streamKey: viaIntake.streamKey,
        reason: 'hate speech',
        decisionGround: 'DECISION_GROUND_INCOMPATIBLE_CONTENT',
        legalGround: 'Community guidelines 3.1',
        category: 'STATEMENT_CATEGORY_ILLEGAL_OR_HARMFUL_SPEECH',
        facts: 'Live commentary targeted a protected group.',
        automatedDetection: true,
        automatedDecision: 'AUTOMATED_DECISION_PARTIALLY',
        territorialScope: ['DE', 'AT'],
      }),
    });
    expect(res.status).toBe(202);
    const intakeJobId = ((await res.json()) as { jobId: string }).jobId;

    const w = world;
    const records = await waitFor(
      async () => {
        const lines = (await exported(w, 'jsonl')).split('\n').filter((l) => l !== '');
        const parsed = lines.map((l) => JSON.parse(l) as AuditRecord);
        return parsed.length === 5 && parsed.every((r) => r.outcome !== undefined) ? parsed : null;
      },
      { timeoutMs: 20_000, what: 'five finished records' },
    );
    const byRequester = new Map(records.map((r) => [r.requestedBy, r]));
    expect([...byRequester.keys()].sort()).toEqual(
      ['booking-system', 'carol', 'carol', 'dave', 'moderation-bot'].filter(
        (v, i, a) => a.indexOf(v) === i,
      ),
    );
    expect(records.filter((r) => r.requestedBy === 'carol')).toHaveLength(2);
    for (const r of records.filter((x) => x.requestedBy === 'carol')) {
      expect(r.batchId).toBe(batch.batchId);
      expect(r.outcome).toBe('taken-down');
    }

    const expiry = byRequester.get('booking-system');
    expect(expiry?.jobId).toMatch(/^expire-/);
    expect(expiry?.outcome).toBe('taken-down');
    expect(expiry?.streamKey).not.toBe(exp.streamKey); // masked
    expect(JSON.stringify(records)).not.toContain(exp.streamKey);

    const dl = byRequester.get('dave');
    expect(dl).toMatchObject({
      jobId: deadJob.jobId,
      outcome: 'dead-lettered',
      deadLetter: { reason: 'permanent', failedStep: 'revoke-key', error: { status: 403 } },
    });
    // A request naming both SID and key first checks they belong together (query-stream).
    expect(dl?.calls).toEqual([
      expect.objectContaining({ op: 'query-stream', status: 200 }),
      expect.objectContaining({
        op: 'delete-key',
        status: 403,
        requestId: expect.any(String) as string,
      }),
    ]);

    const intake = byRequester.get('moderation-bot');
    expect(intake?.jobId).toBe(intakeJobId);
    expect(intake?.keyRevoked).toBe(true);
    expect(intake?.steps.map((s) => s.step)).toContain('revoke-key');
    const revoke = intake?.calls.find((c) => c.op === 'delete-key');
    expect(revoke?.status).toBe(200);
    expect(intake?.effectiveAt).toBe(revoke?.at);
    // Every Agora call the simulator logged for this stream is in the record, and every call in
    // the record is one the simulator answered (same X-Request-ID).
    const simCalls = await h.admin.calls();
    const forStream = simCalls
      .filter((c) => c.streamKey === viaIntake.streamKey || c.sid === viaIntake.sid)
      .map((c) => c.requestId);
    const recorded = intake?.calls.map((c) => c.requestId) ?? [];
    expect(recorded).toEqual(expect.arrayContaining(forStream));
    const answered = new Set(simCalls.map((c) => c.requestId));
    for (const id of recorded) expect(answered.has(id)).toBe(true);

    // CSV: one row per takedown, requesters and the quoted reason intact.
    const rows: Record<string, string>[] = parse(await exported(world, 'csv'), { columns: true });
    expect(rows).toHaveLength(5);
    expect(rows.map((r) => r['requestedBy']).sort()).toEqual([
      'booking-system',
      'carol',
      'carol',
      'dave',
      'moderation-bot',
    ]);
    expect(rows.find((r) => r['reason'] === 'sweep, "policy" 4.2')).toBeDefined();

    // DSA: only the intake request carried a decision.
    const statements = (await exported(world, 'dsa'))
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(statements).toHaveLength(1);
    expect(statements[0]).toMatchObject({
      decision_ground: 'DECISION_GROUND_INCOMPATIBLE_CONTENT',
      incompatible_content_ground: 'Community guidelines 3.1',
      incompatible_content_explanation: 'hate speech',
      decision_visibility: ['DECISION_VISIBILITY_CONTENT_DISABLED'],
      decision_provision: 'DECISION_PROVISION_PARTIAL_SUSPENSION',
      content_type: ['CONTENT_TYPE_VIDEO'],
      automated_detection: 'Yes',
      territorial_scope: ['DE', 'AT'],
      puid: expect.stringMatching(/^[a-zA-Z0-9_-]+$/) as string,
    });
  });
});
