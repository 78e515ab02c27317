import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uniquePrefix } from '../../support/isolation.js';
import { startLocalRedis } from '../../support/redis-server.js';
import type { LocalRedis } from '../../support/redis-server.js';
import { spawnWorker } from '../../support/worker-process.js';
import { APP_ID } from '../producer/producer-harness.js';
import { runTakedown } from './run-takedown.js';

/** Commands through both ways the CLI reaches Redis: a producer, and a plain connection. */
const COMMANDS = [
  ['enqueue', '--region', 'na', '--sid', 'evict-sid-1', '--json'],
  ['status', '--sid', 'evict-sid-1', '--json'],
  ['dlq', 'list', '--json'],
  ['stats', '--json'],
  ['callbacks', 'list', '--json'],
  ['audit', 'export'],
];

const WORKER_ENV = { AGORA_CUSTOMER_ID: 'evict-customer', AGORA_CUSTOMER_SECRET: 'evict-secret' };

function expectRefusal(stderr: string, what: string): void {
  expect(stderr, what).toContain('has maxmemory-policy allkeys-lru');
  expect(stderr, what).toContain('CONFIG SET maxmemory-policy noeviction');
  expect(stderr, what).toContain('REDIS_ALLOW_EVICTION=true');
}

async function keyCount(url: string, prefix: string): Promise<number> {
  const redis = new Redis(url, { maxRetriesPerRequest: 1 });
  try {
    return (await redis.keys(`${prefix}:*`)).length;
  } finally {
    await redis.quit();
  }
}

describe('no silent eviction: worker and CLI refuse a Redis that may evict takedowns', () => {
  let evicting: LocalRedis;
  let noConfig: LocalRedis;
  let noConfigEvicting: LocalRedis;
  beforeAll(async () => {
    [evicting, noConfig, noConfigEvicting] = await Promise.all([
      startLocalRedis({ args: ['--maxmemory-policy', 'allkeys-lru'] }),
      // CONFIG disabled, as on many managed Redis services: INFO still tells the policy.
      startLocalRedis({ args: ['--rename-command', 'CONFIG', ''] }),
      startLocalRedis({
        args: ['--rename-command', 'CONFIG', '', '--maxmemory-policy', 'volatile-lru'],
      }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([evicting?.close(), noConfig?.close(), noConfigEvicting?.close()]);
  });

  it('every command exits 2 naming the policy and the fix, and writes nothing', async () => {
    const prefix = uniquePrefix('evict');
    const env = { REDIS_URL: evicting.url, AGORA_APP_ID: APP_ID, TAKEDOWN_PREFIX: prefix };
    const runs = await Promise.all(COMMANDS.map((args) => runTakedown(args, { env })));
    runs.forEach((run, i) => {
      const what = (COMMANDS[i] as string[]).join(' ');
      expect({ what, code: run.code }).toEqual({ what, code: 2 });
      expectRefusal(run.stderr, what);
      expect(run.stdout, what).toBe('');
    });
    expect(await keyCount(evicting.url, prefix)).toBe(0);
  });

  it('the worker refuses to start: exit 2 with the same message', async () => {
    const run = await runTakedown(['worker'], {
      env: {
        REDIS_URL: evicting.url,
        TAKEDOWN_PREFIX: uniquePrefix('evict-w'),
        HTTP_PORT: '0',
        ...WORKER_ENV,
      },
    });
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr).toContain('cannot start the worker');
    expectRefusal(run.stderr, 'worker');
  });

  it('REDIS_ALLOW_EVICTION=true runs them anyway, with a warning', async () => {
    const prefix = uniquePrefix('evict-ok');
    const env = {
      REDIS_URL: evicting.url,
      AGORA_APP_ID: APP_ID,
      TAKEDOWN_PREFIX: prefix,
      REDIS_ALLOW_EVICTION: 'true',
    };
    const commands = [
      ['stats', '--json'],
      ['callbacks', 'list', '--json'],
    ];
    const runs = await Promise.all(commands.map((args) => runTakedown(args, { env })));
    runs.forEach((run, i) => {
      const what = (commands[i] as string[]).join(' ');
      expect({ what, code: run.code }).toEqual({ what, code: 0 });
      expect(run.stderr, what).toMatch(
        /REDIS_ALLOW_EVICTION=true: running although Redis maxmemory-policy is allkeys-lru/,
      );
      expect(() => JSON.parse(run.stdout) as unknown, what).not.toThrow();
    });

    const worker = spawnWorker({
      redisUrl: evicting.url,
      prefix,
      agoraBaseUrl: 'http://127.0.0.1:9',
      customerId: WORKER_ENV.AGORA_CUSTOMER_ID,
      customerSecret: WORKER_ENV.AGORA_CUSTOMER_SECRET,
      env: { REDIS_ALLOW_EVICTION: 'true' },
    });
    try {
      await worker.ready();
      expect(worker.logs).toContainEqual(
        expect.objectContaining({ maxmemoryPolicy: 'allkeys-lru' }),
      );
    } finally {
      await worker.close();
    }
  });

  it('where CONFIG is disabled (managed Redis) they go on; the warning names the policy INFO reports, and there is none for noeviction', async () => {
    const prefix = uniquePrefix('evict-nc');
    const quiet = await runTakedown(['stats', '--json'], {
      env: { REDIS_URL: noConfig.url, AGORA_APP_ID: APP_ID, TAKEDOWN_PREFIX: prefix },
    });
    expect(quiet.code, quiet.stderr).toBe(0);
    expect(quiet.stderr).not.toMatch(/maxmemory-policy/);

    const warned = await runTakedown(['stats', '--json'], {
      env: { REDIS_URL: noConfigEvicting.url, AGORA_APP_ID: APP_ID, TAKEDOWN_PREFIX: prefix },
    });
    expect(warned.code, warned.stderr).toBe(0);
    expect(warned.stderr).toMatch(/maxmemory-policy volatile-lru \(read from INFO/);

    const worker = spawnWorker({
      redisUrl: noConfigEvicting.url,
      prefix,
      agoraBaseUrl: 'http://127.0.0.1:9',
      customerId: WORKER_ENV.AGORA_CUSTOMER_ID,
      customerSecret: WORKER_ENV.AGORA_CUSTOMER_SECRET,
    });
    try {
      await worker.ready();
      expect(worker.logs).toContainEqual(
        expect.objectContaining({ maxmemoryPolicy: 'volatile-lru' }),
      );
    } finally {
      await worker.close();
    }
  });
});
