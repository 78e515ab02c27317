import { describe, expect, it } from 'vitest';
import { configReference } from '../../../src/config/index.js';

describe('configReference', () => {
  it('lists every env var of DESIGN §4 with a doc and a default', () => {
    const rows = configReference();
    const envs = rows.map((r) => r.env);
    for (const env of [
      'REDIS_URL',
      'TAKEDOWN_PREFIX',
      'AGORA_BASE_URL',
      'AGORA_APP_ID',
      'AGORA_AUTH',
      'AGORA_CUSTOMER_ID',
      'AGORA_CUSTOMER_SECRET',
      'AGORA_KEY_REGIONS',
      'AGORA_TIMEOUT_MS',
      'AGORA_DELETE_RPS',
      'AGORA_QUERY_RPS',
      'WORKER_CONCURRENCY',
      'TAKEDOWN_ATTEMPTS',
      'TAKEDOWN_BACKOFF_MS',
      'TAKEDOWN_BACKOFF_MAX_MS',
      'TAKEDOWN_VERIFY',
      'TAKEDOWN_VERIFY_DELAY_MS',
      'TAKEDOWN_IDEMPOTENCY_WINDOW_S',
      'HTTP_PORT',
      'HTTP_HOST',
      'DASHBOARD_USER',
      'DASHBOARD_PASSWORD',
      'INTAKE_TOKENS',
      'LOG_LEVEL',
    ]) {
      expect(envs).toContain(env);
    }
    expect(new Set(envs).size).toBe(envs.length);
    for (const row of rows) expect(row.doc.length).toBeGreaterThan(5);
    const byEnv = new Map(rows.map((r) => [r.env, r.default]));
    expect(byEnv.get('AGORA_APP_ID')).toBe('—');
    expect(byEnv.get('AGORA_KEY_REGIONS')).toBe('empty');
    expect(byEnv.get('TAKEDOWN_BACKOFF_MAX_MS')).toBe('300000');
    expect(byEnv.get('TAKEDOWN_VERIFY')).toBe('true');
    expect(byEnv.get('REDIS_ALLOW_EVICTION')).toBe('false');
  });
});
