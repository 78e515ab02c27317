import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError, hashTagOf, loadConfig } from '../../../src/config/index.js';
import { toRedisSettings } from '../../../src/redis/index.js';

const SECRET = 'R3dis-canary-77a1';

function problems(env: Record<string, string>): string {
  try {
    loadConfig({ env });
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).message;
  }
  throw new Error('expected a ConfigError');
}

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'takedown-redis-config-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('Redis modes in the configuration', () => {
  it('defaults to a single server with no cluster, Sentinel, credentials or TLS', () => {
    const redis = loadConfig({ env: {} }).redis;
    // The same as a bare URL handed to the connection factory.
    expect({ ...redis }).toEqual(toRedisSettings('redis://127.0.0.1:6379'));
    expect(redis.clusterNodes).toEqual([]);
    expect(redis.sentinels).toEqual([]);
    expect(redis.tls).toBe(false);
  });

  it('reads cluster nodes as a list of host:port', () => {
    const c = loadConfig({
      env: {
        REDIS_CLUSTER_NODES: ' 10.0.0.1:7000, cache.example.com:6379,[::1]:7001 ',
        TAKEDOWN_PREFIX: '{takedown}',
        REDIS_USERNAME: 'app',
        REDIS_PASSWORD: SECRET,
        REDIS_TLS: 'true',
      },
    });
    expect(c.redis.clusterNodes).toEqual(['10.0.0.1:7000', 'cache.example.com:6379', '[::1]:7001']);
    expect(c.redis.tls).toBe(true);
    expect(c.redis.password).toBe(SECRET);
    expect(JSON.stringify(c)).not.toContain(SECRET);
    expect(JSON.stringify(c.redis)).not.toContain(SECRET);
  });

  it('reads Sentinels, the master name and the Sentinel password (never printed)', () => {
    const c = loadConfig({
      env: {
        REDIS_SENTINELS: 's1:26379,s2:26379,s3:26379',
        REDIS_SENTINEL_NAME: 'takedown-main',
        REDIS_SENTINEL_PASSWORD: SECRET,
      },
    });
    expect(c.redis.sentinels).toEqual(['s1:26379', 's2:26379', 's3:26379']);
    expect(c.redis.sentinelName).toBe('takedown-main');
    expect(JSON.stringify(c)).not.toContain(SECRET);
  });

  it('refuses two modes at once, naming both', () => {
    const message = problems({
      REDIS_URL: 'redis://cache:6379',
      REDIS_CLUSTER_NODES: 'a:7000',
      TAKEDOWN_PREFIX: '{takedown}',
    });
    expect(message).toContain('REDIS_URL');
    expect(message).toContain('REDIS_CLUSTER_NODES');
    expect(message).toMatch(/only one/);
    const three = problems({
      REDIS_URL: 'redis://cache:6379',
      REDIS_CLUSTER_NODES: 'a:7000',
      REDIS_SENTINELS: 's:26379',
      TAKEDOWN_PREFIX: '{takedown}',
    });
    for (const env of ['REDIS_URL', 'REDIS_CLUSTER_NODES', 'REDIS_SENTINELS']) {
      expect(three).toContain(env);
    }
    expect(problems({ REDIS_CLUSTER_NODES: 'a:7000', REDIS_SENTINELS: 's:26379' })).toMatch(
      /REDIS_CLUSTER_NODES and REDIS_SENTINELS/,
    );
  });

  it('refuses a cluster prefix without a {hash tag} and says why', () => {
    for (const prefix of ['takedown', 'td{', 'td{}x', 'td}x{']) {
      const message = problems({ REDIS_CLUSTER_NODES: 'a:7000', TAKEDOWN_PREFIX: prefix });
      expect(message).toContain('TAKEDOWN_PREFIX');
      expect(message).toContain('hash tag');
      expect(message).toContain('one slot');
    }
    expect(problems({ REDIS_CLUSTER_NODES: 'a:7000' })).toContain('{takedown}');
    expect(
      loadConfig({ env: { REDIS_CLUSTER_NODES: 'a:7000', TAKEDOWN_PREFIX: 'prod-{td}' } }).prefix,
    ).toBe('prod-{td}');
  });

  it('rejects malformed host:port entries, naming the variable and the entry', () => {
    const message = problems({ REDIS_SENTINELS: 's1:26379,s2', REDIS_SENTINEL_NAME: 'm' });
    expect(message).toContain('REDIS_SENTINELS');
    expect(message).toContain('"s2" is not host:port');
    expect(problems({ REDIS_CLUSTER_NODES: 'a:99999', TAKEDOWN_PREFIX: '{t}' })).toContain(
      'REDIS_CLUSTER_NODES',
    );
  });

  it('refuses a Sentinel password without Sentinels, and a password in two places', () => {
    const lone = problems({ REDIS_SENTINEL_PASSWORD: SECRET });
    expect(lone).toContain('REDIS_SENTINEL_PASSWORD');
    expect(lone).not.toContain(SECRET);
    const twice = problems({ REDIS_URL: `redis://:${SECRET}@h:6379`, REDIS_PASSWORD: SECRET });
    expect(twice).toContain('REDIS_PASSWORD');
    expect(twice).not.toContain(SECRET);
  });

  it('checks the TLS CA file: TLS must be on and the file readable', () => {
    const ca = join(dir, 'ca.pem');
    writeFileSync(ca, '-----BEGIN CERTIFICATE-----\n');
    expect(problems({ REDIS_TLS_CA_FILE: ca })).toMatch(/REDIS_TLS_CA_FILE.*TLS is off/);
    expect(loadConfig({ env: { REDIS_TLS: 'true', REDIS_TLS_CA_FILE: ca } }).redis.tlsCaFile).toBe(
      ca,
    );
    expect(
      loadConfig({ env: { REDIS_URL: 'rediss://h:6380', REDIS_TLS_CA_FILE: ca } }).redis.tlsCaFile,
    ).toBe(ca);
    expect(problems({ REDIS_TLS: 'true', REDIS_TLS_CA_FILE: join(dir, 'missing.pem') })).toContain(
      'not a readable file',
    );
  });
});

describe('hashTagOf', () => {
  it('finds the part Redis Cluster hashes', () => {
    expect(hashTagOf('{takedown}')).toBe('takedown');
    expect(hashTagOf('prod:{td}:x')).toBe('td');
    expect(hashTagOf('a{b}{c}')).toBe('b');
    expect(hashTagOf('takedown')).toBeUndefined();
    expect(hashTagOf('{}takedown')).toBeUndefined();
    expect(hashTagOf('x{y')).toBeUndefined();
  });
});
