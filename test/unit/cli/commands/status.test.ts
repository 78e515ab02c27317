import { describe, expect, it } from 'vitest';
import { toStatusQuery } from '../../../../src/cli/commands/status.js';
import { NO_REDIS, run } from './run-cli.js';

describe('toStatusQuery', () => {
  it('maps each form to the producer query', () => {
    expect(toStatusQuery('sid-abc-s1', {})).toBe('sid-abc-s1');
    expect(toStatusQuery(undefined, { sid: 's1' })).toEqual({ sid: 's1' });
    expect(toStatusQuery(undefined, { key: 'k1', appId: 'abc' })).toEqual({
      streamKey: 'k1',
      appId: 'abc',
    });
    expect(toStatusQuery(undefined, { batch: 'b-1' })).toEqual({ batchId: 'b-1' });
  });

  it('needs exactly one of JOB_ID, --sid, --key, --batch', () => {
    expect(() => toStatusQuery(undefined, {})).toThrow(/JOB_ID, --sid SID, --key KEY or --batch/);
    expect(() => toStatusQuery('x', { sid: 's' })).toThrow(/only one of .*got JOB_ID, --sid/);
  });

  it('refuses --app-id without --sid/--key, and empty values', () => {
    expect(() => toStatusQuery(undefined, { batch: 'b', appId: 'a' })).toThrow(
      /--app-id goes with/,
    );
    expect(() => toStatusQuery(undefined, { sid: ' ' })).toThrow(/--sid must not be empty/);
  });
});

describe('takedown status: exit codes', () => {
  it('exits 2 on bad arguments, 1 when Redis is unreachable', async () => {
    const bad = await run(['status'], NO_REDIS);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/say which takedown/);
    const down = await run(['status', '--sid', 's1', '--json'], NO_REDIS);
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(/cannot read the status: Redis unreachable/);
    expect(down.stdout).toBe('');
  });
});
