import { describe, expect, it } from 'vitest';
import { createFaultInjector, noFaults } from '../../../src/simulator/fault-injector.js';

const never = () => 0.99;
const always = () => 0;

describe('createFaultInjector', () => {
  it('serves everything with no faults', () => {
    const f = createFaultInjector(noFaults());
    expect(f.decide({ op: 'disconnect', appId: 'a' }, always)).toBeUndefined();
  });

  it('spends counted rules and keeps forever-rules', () => {
    const f = createFaultInjector(noFaults());
    f.apply(
      {
        rules: [
          { op: 'disconnect', status: 503, count: 2 },
          { op: 'delete-key', status: 403 },
        ],
      },
      0,
    );
    const d = { op: 'disconnect', appId: 'a', sid: 's' } as const;
    expect(f.decide(d)).toEqual({
      kind: 'error',
      status: 503,
      message: 'Service overload. Retry with the back-off strategy and contact us to fix it.',
    });
    expect(f.decide(d)?.kind).toBe('error');
    expect(f.decide(d)).toBeUndefined();
    expect(f.faults().rules).toEqual([{ op: 'delete-key', status: 403 }]);
    for (let i = 0; i < 5; i += 1) {
      expect(f.decide({ op: 'delete-key', appId: 'a', streamKey: 'k' })).toMatchObject({
        status: 403,
      });
    }
  });

  it('matches rules on every given field', () => {
    const f = createFaultInjector(noFaults());
    f.apply({ rules: [{ appId: 'a', streamKey: 'k', status: 400, message: 'nope' }] }, 0);
    expect(f.decide({ op: 'query-key', appId: 'b', streamKey: 'k' })).toBeUndefined();
    expect(f.decide({ op: 'query-key', appId: 'a', streamKey: 'j' })).toBeUndefined();
    expect(f.decide({ op: 'list-streams', appId: 'a' })).toBeUndefined();
    expect(f.decide({ op: 'delete-key', appId: 'a', streamKey: 'k' })).toEqual({
      kind: 'error',
      status: 400,
      message: 'nope',
    });
  });

  it('applies errorRate only to errorOps and draws against the rate', () => {
    const f = createFaultInjector(noFaults());
    f.apply({ errorRate: 0.5, errorStatus: 502, errorOps: ['disconnect'] }, 0);
    expect(f.decide({ op: 'disconnect', appId: 'a' }, () => 0.49)).toMatchObject({ status: 502 });
    expect(f.decide({ op: 'disconnect', appId: 'a' }, () => 0.5)).toBeUndefined();
    expect(f.decide({ op: 'delete-key', appId: 'a' }, always)).toBeUndefined();
  });

  it('decides timeouts after errors, restricted to timeoutOps', () => {
    const f = createFaultInjector(noFaults());
    f.apply({ timeoutRate: 1, timeoutOps: ['query-stream'] }, 0);
    expect(f.decide({ op: 'query-stream', appId: 'a' }, always)).toEqual({ kind: 'timeout' });
    expect(f.decide({ op: 'list-streams', appId: 'a' }, always)).toBeUndefined();
    f.apply({ timeoutOps: null }, 0);
    expect(f.decide({ op: 'list-streams', appId: 'a' }, always)).toEqual({ kind: 'timeout' });
    f.apply({ timeoutRate: 0.5 }, 0);
    expect(f.decide({ op: 'list-streams', appId: 'a' }, never)).toBeUndefined();
  });

  it('tracks the outage window and clears it', () => {
    const f = createFaultInjector(noFaults());
    f.apply({ outageMs: 1000 }, 5000);
    expect(f.inOutage(5999)).toBe(true);
    expect(f.inOutage(6000)).toBe(false);
    f.apply({ outageMs: 1000 }, 5000);
    f.apply({ outageMs: 0 }, 5000);
    expect(f.inOutage(5001)).toBe(false);
  });

  it('clears fields set to null', () => {
    const f = createFaultInjector(noFaults());
    f.apply(
      {
        latencyMs: 10,
        errorRate: 1,
        errorStatus: 500,
        errorOps: ['disconnect'],
        rules: [{ status: 500 }],
      },
      0,
    );
    f.apply(
      { latencyMs: null, errorRate: null, errorStatus: null, errorOps: null, rules: null },
      0,
    );
    expect(f.faults()).toEqual(noFaults());
  });

  it.each([
    [{ latencyMs: -1 }, 'latencyMs'],
    [{ latencyMs: 1.5 }, 'latencyMs'],
    [{ errorRate: 1.1 }, 'errorRate'],
    [{ errorStatus: 302 }, 'errorStatus'],
    [{ errorOps: ['disconnect', 'kick'] }, 'errorOps'],
    [{ timeoutRate: '0.5' }, 'timeoutRate'],
    [{ outageMs: -5 }, 'outageMs'],
    [{ rules: {} }, 'rules'],
    [{ rules: [{ status: 200 }] }, 'rules[0].status'],
    [{ rules: [{ status: 503, count: 0 }] }, 'rules[0].count'],
    [{ rules: [{ status: 503, op: 'kick' }] }, 'rules[0].op'],
    [{ rules: [{ status: 503, sid: 5 }] }, 'rules[0].sid'],
    [{ rules: [{ status: 503, when: 1 }] }, 'rules[0].when'],
    [{ latency: 5 }, 'latency'],
  ])('rejects %j naming %s and changes nothing', (patch, field) => {
    const f = createFaultInjector(noFaults());
    f.apply({ latencyMs: 7 }, 0);
    expect(() => f.apply({ latencyMs: 99, ...patch }, 0)).toThrow(field);
    expect(f.faults().latencyMs).toBe(7);
  });

  it('rejects a body that is not an object', () => {
    const f = createFaultInjector(noFaults());
    for (const body of [[], null, 'x', 5]) expect(() => f.apply(body, 0)).toThrow('faults body');
  });

  it('reset restores the given faults', () => {
    const start = { ...noFaults(), latencyMs: 20 };
    const f = createFaultInjector(start);
    f.apply({ latencyMs: 0, rules: [{ status: 500 }] }, 0);
    f.reset(start);
    expect(f.faults()).toEqual(start);
  });
});
