import { describe, expect, it } from 'vitest';
import { loadConfig, redactConfig, redactRedisUrl } from '../../../src/config/index.js';

const SECRET = 'S3cr3t-canary-77ab01';

describe('redactConfig', () => {
  it('masks every secret and the Redis password, and leaves unset secrets unset', () => {
    const config = loadConfig({
      env: {
        REDIS_URL: `rediss://default:${SECRET}@redis:6380/0`,
        AGORA_CUSTOMER_ID: 'cid',
        AGORA_CUSTOMER_SECRET: SECRET,
        DASHBOARD_USER: 'ops',
        DASHBOARD_PASSWORD: SECRET,
        INTAKE_TOKENS: `${SECRET}-a,${SECRET}-b`,
      },
    });
    const redacted = redactConfig(config);
    expect(JSON.stringify(redacted)).not.toContain(SECRET);
    expect(redacted.redis.url).toBe('rediss://default:***@redis:6380/0');
    expect(redacted.agora.customerSecret).toBe('[redacted]');
    expect(redacted.agora.customerId).toBe('cid');
    expect(redacted.dashboard).toEqual({ user: 'ops', password: '[redacted]' });
    expect(redacted.intake.tokens).toEqual(['[redacted]', '[redacted]']);
    expect(redactConfig(loadConfig({ env: {} })).agora.customerSecret).toBeUndefined();
  });
});

describe('redactRedisUrl', () => {
  it.each([
    ['redis://user:pw@h:6379/0', 'redis://user:***@h:6379/0'],
    ['rediss://:pw@h', 'rediss://:***@h'],
    ['redis://user:p@ss:w@rd@h:1', 'redis://user:***@h:1'],
    ['redis://h:6379', 'redis://h:6379'],
    ['redis://user@h', 'redis://user@h'],
  ])('%s → %s', (input, output) => {
    expect(redactRedisUrl(input)).toBe(output);
  });
});
