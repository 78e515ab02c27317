import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { pingRedis, startThrowawayRedis } from '../../../src/demo/index.js';

/** The throw-away servers' temp dirs that exist right now. */
function demoDirs(): string[] {
  return readdirSync(tmpdir()).filter((name) => name.startsWith('takedown-demo-redis-'));
}

describe('startThrowawayRedis', () => {
  it('starts redis-server on a free port; close stops it and removes its temp dir', async () => {
    const before = demoDirs();
    const redis = await startThrowawayRedis();
    try {
      expect(redis.source).toBe('throwaway');
      const port = Number(new URL(redis.url).port);
      expect(await pingRedis('127.0.0.1', port)).toBe(true);
      const created = demoDirs().filter((d) => !before.includes(d));
      expect(created).toHaveLength(1);
      await redis.close();
      expect(await pingRedis('127.0.0.1', port)).toBe(false);
      expect(demoDirs()).not.toContain(created[0]);
    } finally {
      await redis.close();
    }
  });

  it('reports a missing binary as RedisBinaryMissingError and leaves no temp dir behind', async () => {
    const before = demoDirs();
    const err = (await startThrowawayRedis({ binary: 'no-such-redis-server-binary' }).catch(
      (e: unknown) => e,
    )) as Error;
    expect(err.name).toBe('RedisBinaryMissingError');
    expect(err.message).toContain('no-such-redis-server-binary');
    expect(demoDirs().filter((d) => !before.includes(d))).toEqual([]);
  });
});
