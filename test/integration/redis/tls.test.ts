import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { toRedisSettings } from '../../../src/redis/index.js';
import type { ChaosWorld } from '../../support/chaos-world.js';
import {
  cli,
  createFailoverWorld,
  takedownsThrough,
} from '../../support/redis-failover-scenarios.js';
import type { Topology } from '../../support/redis-failover-scenarios.js';
import { freePort, startLocalRedis } from '../../support/redis-server.js';
import type { LocalRedis } from '../../support/redis-server.js';
import { redisTlsArgs, writeTestCertificates } from '../../support/tls-certs.js';
import type { TestCertificates } from '../../support/tls-certs.js';

describe('a single Redis server over TLS', () => {
  let dir: string;
  let certs: TestCertificates;
  let redis: LocalRedis;
  let tlsPort: number;
  let topology: Topology;
  let world: ChaosWorld | undefined;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'takedown-tls-'));
    // Issued for the name only: connecting by IP must fail the certificate check.
    certs = await writeTestCertificates(dir, { dnsNames: ['localhost'] });
    tlsPort = await freePort();
    // The plain port stays open for the harness; takedown is given the TLS port only.
    redis = await startLocalRedis({ args: redisTlsArgs(tlsPort, certs) });
    const url = `rediss://localhost:${tlsPort}`;
    topology = {
      settings: { ...toRedisSettings(url), tlsCaFile: certs.caFile },
      env: { REDIS_URL: url, REDIS_TLS_CA_FILE: certs.caFile },
      hashTag: false,
    };
  });
  afterEach(async () => {
    await world?.close();
    world = undefined;
  });
  afterAll(async () => {
    await redis?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('rediss:// with REDIS_TLS_CA_FILE: the CLI enqueues and a worker takes the streams down', async () => {
    world = await createFailoverWorld(topology);
    await takedownsThrough(world, topology.env);
  });

  it('REDIS_TLS=true turns TLS on for a redis:// URL', async () => {
    world = await createFailoverWorld(topology);
    const run = await cli(
      world,
      {
        REDIS_URL: `redis://localhost:${tlsPort}`,
        REDIS_TLS: 'true',
        REDIS_TLS_CA_FILE: certs.caFile,
      },
      ['stats', '--json'],
    );
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toHaveProperty('queues');
  });

  it('each TLS mistake exits 1 with the reason and what to change', async () => {
    world = await createFailoverWorld(topology);
    const w = world;
    const attempt = async (env: Record<string, string>): Promise<string> => {
      const run = await cli(w, env, ['stats'], 30_000);
      expect(run.code, run.stderr).toBe(1);
      expect(run.stderr).toContain('Redis unreachable');
      return run.stderr;
    };
    // No CA file: the test CA is not one this machine trusts.
    expect(await attempt({ REDIS_URL: `rediss://localhost:${tlsPort}` })).toMatch(
      /certificate.*set REDIS_TLS_CA_FILE/,
    );
    // By IP: the certificate names localhost only.
    expect(
      await attempt({
        REDIS_URL: `rediss://127.0.0.1:${tlsPort}`,
        REDIS_TLS_CA_FILE: certs.caFile,
      }),
    ).toMatch(/altnames.*connect by a host name the certificate lists/);
    // Plain TCP to the TLS port.
    expect(await attempt({ REDIS_URL: `redis://localhost:${tlsPort}` })).toMatch(
      /use rediss:\/\/ or REDIS_TLS=true/,
    );
    // TLS to the plain port.
    expect(
      await attempt({
        REDIS_URL: `rediss://localhost:${redis.port}`,
        REDIS_TLS_CA_FILE: certs.caFile,
      }),
    ).toMatch(/check that the server speaks TLS on this port/);
  });
});
