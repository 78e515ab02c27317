import { describe, expect, it } from 'vitest';
import { dueAtFromDelayedScore } from '../../../src/producer/job-state.js';

describe('delayed score', () => {
  it('decodes BullMQ delayed scores (timestamp * 0x1000 + counter)', () => {
    const due = 1_795_673_282_969;
    expect(dueAtFromDelayedScore(due * 0x1000)).toBe(due);
    expect(dueAtFromDelayedScore(due * 0x1000 + 4095)).toBe(due);
  });
});
