import { describe, expect, it } from 'vitest';
import {
  checkBatchId,
  newBatchId,
  newEnqueueToken,
  toJobData,
} from '../../../src/producer/enqueue.js';
import { ValidationError } from '../../../src/producer/errors.js';
import { tokenPrefix, toOwnership } from '../../../src/producer/ownership.js';

describe('batch ids and tokens', () => {
  it('newBatchId is b-<UTC stamp>-<8 hex> and passes its own check', () => {
    const id = newBatchId(new Date('2026-03-04T05:06:07.890Z'));
    expect(id).toMatch(/^b-20260304T050607Z-[0-9a-f]{8}$/);
    expect(checkBatchId(id)).toBe(id);
    expect(newBatchId()).not.toBe(newBatchId());
  });

  it('checkBatchId refuses separators and overlong ids', () => {
    for (const bad of ['', 'a:b', 'a b', 'x'.repeat(65), 'é']) {
      expect(() => checkBatchId(bad)).toThrow(ValidationError);
    }
    expect(checkBatchId('sweep_2026-01.a')).toBe('sweep_2026-01.a');
  });

  it('job data starts with the token, which is what the ownership script compares', () => {
    const token = newEnqueueToken();
    expect(token).toMatch(/^[A-Za-z0-9_-]{16}$/);
    const stored = JSON.stringify(toJobData(token, { v: 1 } as never));
    expect(stored.startsWith(tokenPrefix(token))).toBe(true);
    // What the worker writes back keeps the key order.
    const merged = JSON.stringify({
      ...(JSON.parse(stored) as object),
      progress: { step: 'verify' },
    });
    expect(merged.startsWith(tokenPrefix(token))).toBe(true);
    expect(stored.startsWith(tokenPrefix(newEnqueueToken()))).toBe(false);
  });

  it('toOwnership maps script flags and rejects a reply of the wrong size', () => {
    expect(toOwnership([1, 0, -1], 3)).toEqual(['own', 'other', 'missing']);
    expect(() => toOwnership([1], 2)).toThrow(/expected 2/);
    expect(() => toOwnership(null, 0)).toThrow();
  });
});
