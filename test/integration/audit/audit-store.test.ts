import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  auditKeys,
  auditRecordId,
  createAuditStore,
  toAuditRecord,
} from '../../../src/audit/index.js';
import type { AuditEvent, RequestEvent } from '../../../src/audit/index.js';
import { createHarness } from '../producer/producer-harness.js';
import type { ProducerHarness } from '../producer/producer-harness.js';

let h: ProducerHarness;
beforeEach(async () => {
  h = await createHarness('audit-store');
});
afterEach(async () => {
  await h.close();
});

const T = Date.parse('2026-03-01T10:00:00.000Z');
const request: RequestEvent = {
  e: 'q',
  t: T,
  j: 'sid-app1-s1',
  p: {
    region: 'na',
    appId: 'app1',
    sid: 's1',
    requestedBy: 'moderation-bot',
    reason: 'Live broadcast of violent content reported by users',
    facts: 'Automated classifier flagged the live stream; a moderator confirmed the violation.',
  },
};
const call = (o: string, t: number): AuditEvent => ({
  e: 'c',
  t,
  o,
  r: 'na',
  st: 200,
  id: `0b6e0f3e-6a58-4f0e-9d0c-${String(t).padStart(12, '0')}`,
});

describe('audit store (issue 15: kept 400 days, so each record must be compact)', () => {
  it('stores a record written in two runs at its size, not with room to grow', async () => {
    const store = createAuditStore({ redis: h.redis, prefix: h.prefix, retentionDays: 400 });
    const requestedAt = new Date(T).toISOString();
    // As the worker writes a key+SID takedown at the defaults: the run that cuts, then verify.
    await store.append({
      request,
      requestedAt,
      events: [
        { e: 's', t: T + 40, s: 'resolve', d: 32 },
        call('query-stream', T + 40),
        { e: 's', t: T + 75, s: 'revoke-key', d: 33 },
        call('delete-key', T + 75),
        { e: 's', t: T + 110, s: 'disconnect', d: 34 },
        call('disconnect', T + 110),
      ],
    });
    await store.append({
      request,
      requestedAt,
      events: [
        { e: 's', t: T + 2150, s: 'verify', d: 35 },
        call('query-stream', T + 2150),
        { e: 'o', t: T + 2151, o: 'taken-down', kr: true, dc: 1 },
      ],
    });

    const key = auditKeys(h.prefix).record(auditRecordId(request.j, requestedAt));
    const length = await h.redis.strlen(key);
    const usage = Number(await h.redis.call('MEMORY', 'USAGE', key, 'SAMPLES', '0'));
    expect(length).toBeGreaterThan(800);
    // The value, the key, Redis's object headers and the allocator's rounding; APPEND left
    // as much again unused (about 2 × length).
    expect(usage).toBeLessThan(length * 1.25 + 200);
    expect(await h.redis.ttl(key)).toBeGreaterThan(399 * 86_400);

    const [stored] = await toArray(store.records());
    expect(stored?.recordId).toBe(auditRecordId(request.j, requestedAt));
    const record = toAuditRecord(stored?.recordId ?? '', T, stored?.text ?? '');
    expect(record.steps.map((s) => s.step)).toEqual([
      'resolve',
      'revoke-key',
      'disconnect',
      'verify',
    ]);
    expect(record).toMatchObject({ requestedBy: 'moderation-bot', outcome: 'taken-down' });
  });
});

async function toArray<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}
