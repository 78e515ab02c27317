import { describe, expect, it } from 'vitest';
import { toSweepTarget } from '../../../../src/cli/commands/channel.js';
import { APP_ID, NO_REDIS, run } from './run-cli.js';

describe('takedown channel: arguments', () => {
  it('resolves region, channel and the App ID (flag, else configured)', () => {
    expect(toSweepTarget({ region: 'na', channel: 'lobby' }, APP_ID)).toEqual({
      region: 'na',
      appId: APP_ID,
      channel: 'lobby',
    });
    expect(toSweepTarget({ region: 'eu', channel: 'c', appId: 'abc123' }, APP_ID).appId).toBe(
      'abc123',
    );
  });

  it('names every bad or missing flag', () => {
    expect(() => toSweepTarget({}, undefined)).toThrow(
      /--region is required.*--channel is required.*--app-id is required/,
    );
    expect(() => toSweepTarget({ region: 'mars', channel: 'a/b' }, APP_ID)).toThrow(
      /--region must be one of na, eu, ap, cn.*--channel must be/,
    );
  });

  it('exits 2 on bad flags and when no Agora credentials are configured', async () => {
    const bad = await run(['channel', '--region', 'na'], NO_REDIS);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--channel is required/);
    const region = await run(
      ['channel', '--region', 'na', '--channel', 'lobby', '--extra-regions', 'eu,mars'],
      NO_REDIS,
    );
    expect(region.code).toBe(2);
    expect(region.stderr).toMatch(/--extra-regions: extraRegions must hold regions/);
  });

  it('exits 1 when Redis is unreachable, before calling Agora', async () => {
    const result = await run(['channel', '--region', 'na', '--channel', 'lobby'], {
      ...NO_REDIS,
      AGORA_BASE_URL: 'http://127.0.0.1:1',
      AGORA_CUSTOMER_ID: 'id',
      AGORA_CUSTOMER_SECRET: 'secret-canary',
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/Redis unreachable/);
    expect(result.stderr).not.toMatch(/secret-canary/);
  });
});
