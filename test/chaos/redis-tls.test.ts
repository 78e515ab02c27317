import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ChaosWorld } from '../support/chaos-world.js';
import {
  cli,
  createFailoverWorld,
  takedownsSurviveFailover,
  takedownsThrough,
} from '../support/redis-failover-scenarios.js';
import { clientAddress, startLocalCluster, startLocalSentinel } from '../support/redis-topology.js';
import type { LocalCluster, LocalSentinel, TopologyAuth } from '../support/redis-topology.js';
import { writeTestCertificates } from '../support/tls-certs.js';

/** TLS and passwords together, as managed Redis runs; none of them may ever be printed. */
const AUTH: TopologyAuth = {
  username: 'takedown-svc',
  password: 'tlsDataPw7Qm2Vx9K',
  sentinelPassword: 'tlsSentinelPw4Rz8Ld3',
};
const SECRETS = [AUTH.password, AUTH.sentinelPassword];
/** The CLI and worker log at debug, so that a leak on a verbose path shows too. */
const VERBOSE = { LOG_LEVEL: 'debug' };

function expectNoSecret(printed: string): void {
  for (const secret of SECRETS) expect(printed).not.toContain(secret);
}

/** A key in the queue's slot (every key of the prefix hashes to its tag). */
const queueKey = (world: ChaosWorld): string => `${world.prefix}:takedown:meta`;

describe('chaos: Redis Cluster over TLS with an ACL user (nodes announce host names, as ElastiCache does)', () => {
  let dir: string;
  let cluster: LocalCluster;
  let world: ChaosWorld | undefined;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'takedown-tls-cluster-'));
    // Names only, no IP: a client that resolved `localhost` before its TLS handshake would check
    // the certificate against 127.0.0.1 and fail, as against ElastiCache's node certificates.
    const tls = await writeTestCertificates(dir, { dnsNames: ['localhost'] });
    cluster = await startLocalCluster({ tls, auth: AUTH });
  });
  afterEach(async () => {
    await world?.close();
    world = undefined;
  });
  afterAll(async () => {
    await cluster?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('CLI and worker work over TLS through a node that does not own the queue slot', async () => {
    world = await createFailoverWorld({
      settings: cluster.settings,
      env: cluster.env,
      hashTag: true,
    });
    const other = await cluster.otherMasterThan(queueKey(world));
    const { printed } = await takedownsThrough(world, {
      ...cluster.env,
      ...VERBOSE,
      REDIS_CLUSTER_NODES: clientAddress(other),
    });
    expectNoSecret(printed);
  });

  it('without the CA file, the CLI and the worker exit 1 saying which setting is missing', async () => {
    world = await createFailoverWorld({
      settings: cluster.settings,
      env: cluster.env,
      hashTag: true,
    });
    const env: Record<string, string> = { ...cluster.env, ...VERBOSE };
    const { REDIS_TLS_CA_FILE: _ca, ...withoutCa } = env;
    const stats = await cli(world, withoutCa, ['stats'], 30_000);
    expect(stats.code, stats.stderr).toBe(1);
    // ioredis alone says "Connection is closed.": the reason and the fix must reach the user.
    expect(stats.stderr).toMatch(/Redis unreachable .*certificate.*REDIS_TLS_CA_FILE/);

    const worker = world.spawnWorker({ ...withoutCa, REDIS_TLS_CA_FILE: '' });
    const exit = await worker.exited;
    expect(exit.code).toBe(1);
    expect(worker.stderr()).toMatch(
      /cannot start the worker: Redis unreachable .*REDIS_TLS_CA_FILE/,
    );
    expectNoSecret(stats.stdout + stats.stderr + worker.stdout() + worker.stderr());
  });

  it('500 takedowns survive a CLUSTER FAILOVER over TLS (the new master is found by its announced name)', async () => {
    world = await createFailoverWorld(
      { settings: cluster.settings, env: cluster.env, hashTag: true },
      { AGORA_DELETE_RPS: '150' },
    );
    const w = world;
    await takedownsSurviveFailover(w, 'cluster failover, TLS', async () => {
      const from = await cluster.masterOf(queueKey(w));
      const to = await cluster.failover(queueKey(w));
      return { from, to };
    });
  });

  it('a wrong password exits 1 without printing it', async () => {
    world = await createFailoverWorld({
      settings: cluster.settings,
      env: cluster.env,
      hashTag: true,
    });
    const wrong = 'wrongClusterPw5Hs1';
    const run = await cli(world, { ...cluster.env, REDIS_PASSWORD: wrong }, ['stats'], 30_000);
    expect(run.code, run.stderr).toBe(1);
    expect(run.stderr).toMatch(/Redis unreachable .*(WRONGPASS|invalid username-password)/);
    expect(run.stdout + run.stderr).not.toContain(wrong);
    expectNoSecret(run.stdout + run.stderr);
  });
});

describe('chaos: Redis Sentinel over TLS with passwords (Sentinels and data nodes)', () => {
  let dir: string;
  let sentinel: LocalSentinel;
  let world: ChaosWorld | undefined;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'takedown-tls-sentinel-'));
    // The Sentinels name the master by IP, so the certificate lists 127.0.0.1.
    const tls = await writeTestCertificates(dir, { dnsNames: ['localhost'], ips: ['127.0.0.1'] });
    sentinel = await startLocalSentinel({ tls, auth: AUTH });
  });
  afterEach(async () => {
    await world?.close();
    world = undefined;
  });
  afterAll(async () => {
    await sentinel?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('CLI and worker work over TLS through the Sentinels', async () => {
    world = await createFailoverWorld({
      settings: sentinel.settings,
      env: sentinel.env,
      hashTag: false,
    });
    const { printed } = await takedownsThrough(world, { ...sentinel.env, ...VERBOSE });
    expectNoSecret(printed);
  });

  it('500 takedowns survive a SENTINEL FAILOVER over TLS', async () => {
    world = await createFailoverWorld(
      { settings: sentinel.settings, env: sentinel.env, hashTag: false },
      { AGORA_DELETE_RPS: '150' },
    );
    await takedownsSurviveFailover(
      world,
      'sentinel failover, TLS',
      async () => {
        const from = await sentinel.master();
        const to = await sentinel.failover();
        return { from, to };
      },
      { asyncReplicationLoss: true },
    );
  });
});
