import { describe, expect, it } from 'vitest';
import { createCallLog } from '../../../src/simulator/call-log.js';
import type { NewCallLogEntry } from '../../../src/simulator/call-log.js';

function entry(i: number): NewCallLogEntry {
  return { time: i, method: 'GET', path: `/p${i}`, op: 'list-streams', appId: 'a', region: 'na' };
}

describe('createCallLog', () => {
  it('numbers entries in arrival order and pages with since/limit', () => {
    const log = createCallLog(10);
    for (let i = 1; i <= 5; i += 1) log.append(entry(i));
    expect(log.since(0).map((e) => e.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(log.since(3).map((e) => e.path)).toEqual(['/p4', '/p5']);
    expect(log.since(1, 2).map((e) => e.seq)).toEqual([2, 3]);
    expect(log.since(5)).toEqual([]);
  });

  it('starts entries unanswered and lets the answer complete them in place', () => {
    const log = createCallLog(10);
    const e = log.append(entry(1));
    expect(e.status).toBe(0);
    e.status = 200;
    e.durationMs = 3;
    expect(log.since(0)[0]).toMatchObject({ seq: 1, status: 200, durationMs: 3 });
  });

  it('keeps only the last `capacity` entries but counts them all', () => {
    const log = createCallLog(3);
    for (let i = 1; i <= 7; i += 1) log.append(entry(i));
    expect(log.since(0).map((e) => e.seq)).toEqual([5, 6, 7]);
    expect(log.since(5).map((e) => e.seq)).toEqual([6, 7]);
    expect(log.total()).toBe(7);
  });

  it('restarts numbering after clear', () => {
    const log = createCallLog(3);
    log.append(entry(1));
    log.append(entry(2));
    log.clear();
    expect(log.since(0)).toEqual([]);
    expect(log.append(entry(3)).seq).toBe(1);
    expect(log.total()).toBe(1);
  });
});
