import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../../src/config/index.js';

const SECRET = 'S3cr3t-canary-9f2c41';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'takedown-config-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function writeJson(name: string, content: unknown): string {
  const file = join(dir, name);
  writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
  return file;
}

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig defaults', () => {
  it('uses the defaults of DESIGN §4 and the operational extras when nothing is set', () => {
    const c = loadConfig({ env: {} });
    expect(c.redis.url).toBe('redis://127.0.0.1:6379');
    expect(c.redis.allowEviction).toBe(false);
    expect(c.prefix).toBe('takedown');
    expect(c.agora).toEqual({
      baseUrl: 'https://api.agora.io',
      appId: undefined,
      auth: 'basic',
      customerId: undefined,
      customerSecret: undefined,
      keyRegions: [],
      timeoutMs: 10000,
      deleteRps: 50,
      queryRps: 100,
      createRps: 50,
      retryAfterMaxMs: 10000,
      rateMaxHoldMs: 250,
    });
    expect(c.worker).toEqual({
      concurrency: 60,
      shutdownTimeoutMs: 30000,
      lockDurationMs: 4000,
      stalledIntervalMs: 1000,
      maxStalledCount: 2,
    });
    expect(c.takedown).toEqual({
      attempts: 12,
      backoffMs: 1000,
      backoffMaxMs: 300000,
      verify: true,
      verifyDelayMs: 2000,
      verifyRounds: 3,
      idempotencyWindowS: 604800,
      maxRateLimited: 50,
      reconcileIntervalMs: 60000,
    });
    expect(c.http).toEqual({ port: 9464, host: '127.0.0.1' });
    expect(c.dashboard).toEqual({ user: undefined, password: undefined });
    expect(c.intake).toEqual({ tokens: [], maxBatch: 1000, bodyLimitBytes: 1048576 });
    expect(c.log).toEqual({ level: 'info', pretty: false });
  });

  it('returns a deeply frozen object', () => {
    const c = loadConfig({ env: {} });
    expect(Object.isFrozen(c)).toBe(true);
    expect(Object.isFrozen(c.agora)).toBe(true);
    expect(Object.isFrozen(c.agora.keyRegions)).toBe(true);
  });
});

describe('loadConfig from env', () => {
  it('coerces numbers, booleans and lists, and treats an empty optional value as unset', () => {
    const c = loadConfig({
      env: {
        REDIS_URL: 'rediss://default:pw@redis.example:6380/2',
        TAKEDOWN_PREFIX: '{takedown}',
        AGORA_APP_ID: '',
        AGORA_AUTH: 'hmac',
        AGORA_KEY_REGIONS: 'NA, eu,,na',
        AGORA_TIMEOUT_MS: ' 2500 ',
        TAKEDOWN_VERIFY: 'false',
        LOG_PRETTY: 'yes',
        WORKER_MAX_STALLED_COUNT: '0',
        HTTP_PORT: '0',
        INTAKE_TOKENS: 'aaaaaaaaaaaaaaaa, bbbbbbbbbbbbbbbb',
        REDIS_ALLOW_EVICTION: 'true',
      },
    });
    expect(c.redis.allowEviction).toBe(true);
    expect(c.redis.url).toBe('rediss://default:pw@redis.example:6380/2');
    expect(c.prefix).toBe('{takedown}');
    expect(c.agora.appId).toBeUndefined();
    expect(c.agora.auth).toBe('hmac');
    expect(c.agora.keyRegions).toEqual(['na', 'eu']);
    expect(c.agora.timeoutMs).toBe(2500);
    expect(c.takedown.verify).toBe(false);
    expect(c.log.pretty).toBe(true);
    expect(c.worker.maxStalledCount).toBe(0);
    expect(c.http.port).toBe(0);
    expect(c.intake.tokens).toEqual(['aaaaaaaaaaaaaaaa', 'bbbbbbbbbbbbbbbb']);
  });

  it.each([
    ['AGORA_TIMEOUT_MS', 'agora.timeoutMs', '12abc', 'a whole number >= 1'],
    ['WORKER_CONCURRENCY', 'worker.concurrency', '0', 'a whole number >= 1'],
    ['TAKEDOWN_ATTEMPTS', 'takedown.attempts', '1.5', 'a whole number >= 1'],
    ['HTTP_PORT', 'http.port', '70000', 'a port number 0-65535'],
    ['TAKEDOWN_VERIFY', 'takedown.verify', 'maybe', 'true or false'],
    ['REDIS_ALLOW_EVICTION', 'redis.allowEviction', 'sure', 'true or false'],
    ['LOG_LEVEL', 'log.level', 'verbose', 'one of fatal, error, warn, info, debug, trace, silent'],
    ['AGORA_AUTH', 'agora.auth', 'digest', 'one of basic, hmac'],
    ['AGORA_KEY_REGIONS', 'agora.keyRegions', 'na,us', 'comma-separated list of na, eu, ap, cn'],
    ['REDIS_URL', 'redis.url', 'http://127.0.0.1:6379', 'a redis:// or rediss:// URL'],
    ['AGORA_BASE_URL', 'agora.baseUrl', 'ftp://api.agora.io', 'an http:// or https:// URL'],
    ['AGORA_APP_ID', 'agora.appId', 'app/../x', 'letters, digits'],
    ['TAKEDOWN_PREFIX', 'prefix', 'has space', 'without spaces'],
  ])(
    'rejects %s=%j naming the env var, the key and what is allowed',
    (env, key, value, allowed) => {
      const err = configError(() => loadConfig({ env: { [env]: value } }));
      expect(err.message).toContain(`${env} (${key})`);
      expect(err.message).toContain(allowed);
      expect(err.problems).toEqual([expect.objectContaining({ key, env })]);
    },
  );

  it('shows a bad non-secret value so the operator can spot the typo', () => {
    const err = configError(() => loadConfig({ env: { LOG_LEVEL: 'verbose' } }));
    expect(err.message).toContain('got "verbose"');
  });

  it('reports every bad key at once', () => {
    const err = configError(() => loadConfig({ env: { LOG_LEVEL: 'loud', HTTP_PORT: '-1' } }));
    expect(err.problems.map((p) => p.env)).toEqual(['HTTP_PORT', 'LOG_LEVEL']);
  });

  it('names the missing half of a credential pair', () => {
    const agora = configError(() => loadConfig({ env: { AGORA_CUSTOMER_ID: 'cid' } }));
    expect(agora.message).toContain('AGORA_CUSTOMER_SECRET (agora.customerSecret) is missing');
    const dashboard = configError(() => loadConfig({ env: { DASHBOARD_PASSWORD: SECRET } }));
    expect(dashboard.message).toContain('DASHBOARD_USER (dashboard.user) is missing');
    expect(dashboard.message).not.toContain(SECRET);
  });

  it('rejects a backoff cap below the backoff base', () => {
    const err = configError(() =>
      loadConfig({ env: { TAKEDOWN_BACKOFF_MS: '5000', TAKEDOWN_BACKOFF_MAX_MS: '1000' } }),
    );
    expect(err.message).toContain('TAKEDOWN_BACKOFF_MAX_MS (takedown.backoffMaxMs)');
  });
});

describe('loadConfig secrets', () => {
  it.each([
    ['AGORA_CUSTOMER_SECRET', `${SECRET}\u0007`, { AGORA_CUSTOMER_ID: 'cid' }],
    ['DASHBOARD_PASSWORD', `${SECRET}\n`, { DASHBOARD_USER: 'ops' }],
    ['INTAKE_TOKENS', `${SECRET}-long-enough,short-${SECRET.slice(0, 3)}`, {}],
    ['INTAKE_TOKENS', `has space ${SECRET}`, {}],
    ['REDIS_URL', `http://user:${SECRET}@redis:6379`, {}],
    ['REDIS_URL', `redis//user:${SECRET}@redis`, {}],
  ])('never echoes an invalid %s value', (env, value, extra) => {
    const err = configError(() => loadConfig({ env: { ...extra, [env]: value } }));
    expect(err.message).toContain(env);
    expect(err.message).not.toContain(SECRET);
    expect(err.message).not.toContain(SECRET.slice(0, 3) + '"');
    expect(String(err.stack)).not.toContain(SECRET);
  });

  it('prints a redacted form from String() and JSON.stringify()', () => {
    const c = loadConfig({
      env: {
        REDIS_URL: `redis://user:${SECRET}@redis:6379`,
        AGORA_CUSTOMER_ID: 'cid',
        AGORA_CUSTOMER_SECRET: SECRET,
        DASHBOARD_USER: 'ops',
        DASHBOARD_PASSWORD: SECRET,
        INTAKE_TOKENS: `${SECRET}-token`,
      },
    });
    expect(c.agora.customerSecret).toBe(SECRET); // the real value is there for the client
    for (const text of [
      String(c),
      JSON.stringify(c),
      JSON.stringify(c.agora),
      JSON.stringify(c.redis),
      JSON.stringify(c.dashboard),
      JSON.stringify(c.intake),
    ]) {
      expect(text).not.toContain(SECRET);
    }
    expect(JSON.stringify(c)).toContain('redis://user:***@redis:6379');
  });
});

describe('loadConfig with a JSON file', () => {
  const fileConfig = { agora: { appId: 'app1', timeoutMs: 1234 }, log: { level: 'debug' } };

  it('reads --config FILE from argv', () => {
    const file = writeJson('a.json', fileConfig);
    const c = loadConfig({ env: {}, argv: ['worker', '--config', file] });
    expect(c.agora.appId).toBe('app1');
    expect(c.agora.timeoutMs).toBe(1234);
    expect(c.log.level).toBe('debug');
  });

  it('reads --config=FILE from argv', () => {
    const file = writeJson('a.json', fileConfig);
    expect(loadConfig({ env: {}, argv: [`--config=${file}`] }).agora.appId).toBe('app1');
  });

  it('reads TAKEDOWN_CONFIG', () => {
    const file = writeJson('a.json', fileConfig);
    expect(loadConfig({ env: { TAKEDOWN_CONFIG: file } }).agora.timeoutMs).toBe(1234);
  });

  it('prefers the file option over --config over TAKEDOWN_CONFIG', () => {
    const a = writeJson('a.json', { prefix: 'from-option' });
    const b = writeJson('b.json', { prefix: 'from-argv' });
    const c = writeJson('c.json', { prefix: 'from-env' });
    const env = { TAKEDOWN_CONFIG: c };
    expect(loadConfig({ env, argv: ['--config', b], file: a }).prefix).toBe('from-option');
    expect(loadConfig({ env, argv: ['--config', b] }).prefix).toBe('from-argv');
    expect(loadConfig({ env }).prefix).toBe('from-env');
  });

  it('lets env vars win over the file', () => {
    const file = writeJson('a.json', fileConfig);
    expect(loadConfig({ env: { AGORA_TIMEOUT_MS: '99' }, file }).agora.timeoutMs).toBe(99);
  });

  it('rejects an unknown key, naming it and the keys allowed there', () => {
    const file = writeJson('a.json', { agora: { appId: 'app1', timeoutMS: 5 } });
    const err = configError(() => loadConfig({ env: {}, file }));
    expect(err.message).toContain('unknown key "agora.timeoutMS"');
    expect(err.message).toContain('timeoutMs');
    expect(err.problems).toEqual([expect.objectContaining({ key: 'agora.timeoutMS' })]);
  });

  it('rejects an unknown top-level key and a group given as a scalar', () => {
    const file = writeJson('a.json', { verbose: true, worker: 5 });
    const err = configError(() => loadConfig({ env: {}, file }));
    expect(err.message).toContain('unknown key "verbose"');
    expect(err.message).toContain('"worker" in config file');
    expect(err.message).toContain('must be an object');
  });

  it('names the key of a bad value in the file', () => {
    const file = writeJson('a.json', { takedown: { attempts: 'many' } });
    const err = configError(() => loadConfig({ env: {}, file }));
    expect(err.message).toContain('TAKEDOWN_ATTEMPTS (takedown.attempts) got "many"');
  });

  it('names a file that does not exist', () => {
    const file = join(dir, 'missing.json');
    const err = configError(() => loadConfig({ env: {}, file }));
    expect(err.message).toContain(`config file ${JSON.stringify(file)} does not exist`);
  });

  it('names a file that is not JSON, with the position but without its content', () => {
    const file = writeJson('bad.json', `{\n  "agora": { "customerSecret": "${SECRET}" ,, }\n}`);
    const err = configError(() => loadConfig({ env: {}, file }));
    expect(err.message).toContain(`config file ${JSON.stringify(file)} is not valid JSON`);
    expect(err.message).toMatch(/line 2, column \d+/);
    expect(err.message).not.toContain(SECRET);
    expect(err.cause).toBeUndefined();
  });

  it('rejects a file whose JSON is not an object', () => {
    const file = writeJson('list.json', [1, 2]);
    expect(configError(() => loadConfig({ env: {}, file })).message).toContain(
      'must hold a JSON object',
    );
  });

  it('rejects --config without a file', () => {
    expect(configError(() => loadConfig({ env: {}, argv: ['--config'] })).message).toContain(
      '--config needs a FILE',
    );
  });
});
