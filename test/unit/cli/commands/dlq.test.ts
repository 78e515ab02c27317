import { describe, expect, it } from 'vitest';
import { parseLimit } from '../../../../src/cli/commands/dlq.js';
import { NO_REDIS, run } from './run-cli.js';

describe('takedown dlq: arguments', () => {
  it('reads --limit as a positive whole number', () => {
    expect(parseLimit('20')).toBe(20);
    for (const raw of ['0', '-1', '2.5', 'ten', '']) {
      expect(() => parseLimit(raw)).toThrow(/--limit must be a positive whole number/);
    }
  });

  it.each([
    [['dlq', 'redrive'], /say what to redrive: one or more job ids, or --all/],
    [['dlq', 'purge', 'a', '--all'], /job ids or --all, not both/],
    [['dlq', 'list', '--limit', 'x'], /--limit must be/],
    [['dlq', 'show'], /missing required argument 'jobId'/],
    [['dlq', 'frobnicate'], /unknown command 'frobnicate'/],
  ])('%j exits 2 with a message', async (args, message) => {
    const result = await run(args, NO_REDIS);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
  });

  it('exits 1 when Redis is unreachable', async () => {
    const result = await run(['dlq', 'list', '--json'], NO_REDIS);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/Redis unreachable/);
  });
});
