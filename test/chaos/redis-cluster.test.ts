import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ChaosWorld } from '../support/chaos-world.js';
import {
  cli,
  createFailoverWorld,
  readinessAndProducerAcrossOutage,
  takedownsSurviveFailover,
  takedownsThrough,
} from '../support/redis-failover-scenarios.js';
import type { Topology } from '../support/redis-failover-scenarios.js';
import type { Cluster, Redis } from 'ioredis';
import { connectRedis, dropRedis, scanKeys } from '../../src/redis/index.js';
import { startLocalCluster } from '../support/redis-topology.js';
import { waitFor } from '../support/wait-for.js';
import type { LocalCluster, RedisNode } from '../support/redis-topology.js';

/** A key in the queue's slot (every key of the prefix hashes to its tag). */
const queueKey = (world: ChaosWorld): string => `${world.prefix}:takedown:meta`;

describe('chaos: Redis Cluster (3 masters, 1 replica each, from redis-server)', () => {
  let cluster: LocalCluster;
  let topology: Topology;
  let world: ChaosWorld | undefined;
  beforeAll(async () => {
    cluster = await startLocalCluster();
    topology = { settings: cluster.settings, env: cluster.env, hashTag: true };
  });
  afterEach(async () => {
    await world?.close();
    world = undefined;
  });
  afterAll(async () => {
    await cluster.close();
  });

  it('CLI and worker work through a node that does not own the queue slot', async () => {
    world = await createFailoverWorld(topology);
    const other = await cluster.otherMasterThan(queueKey(world));
    expect((await cluster.masterOf(queueKey(world))).port).not.toBe(other.port);
    // Only the node that does not own the slot is given: the client must follow the cluster.
    await takedownsThrough(world, { REDIS_CLUSTER_NODES: other.address });
  });

  it('SCAN-based reads (stats, limiter state, demo clean-up) see the keys of every master', async () => {
    const client = await connectRedis(cluster.settings, {
      role: 'producer',
      connectTimeoutMs: 5000,
    });
    client.on('error', () => undefined);
    const base = `scan-${Date.now()}`;
    // Different hash tags: the keys spread over the slots, so over the masters.
    const keys = Array.from({ length: 60 }, (_, i) => `${base}:{t${i}}`);
    try {
      await Promise.all(keys.map((k) => client.set(k, '1', 'EX', 300)));
      const holders = new Set(
        await Promise.all(keys.map(async (k) => (await cluster.masterOf(k)).port)),
      );
      expect(holders.size).toBe(3);
      const found = new Set<string>();
      for await (const batch of scanKeys(client, `${base}:*`, 10))
        for (const k of batch) found.add(k);
      expect([...found].sort()).toEqual([...keys].sort());
    } finally {
      await Promise.all(keys.map((k) => client.del(k)));
      client.disconnect();
    }
  });

  it('dropRedis closes the socket of every node at once, not only the seed', async () => {
    const client = await connectRedis(cluster.settings, {
      role: 'producer',
      connectTimeoutMs: 5000,
    });
    client.on('error', () => undefined);
    // A command on each master, so that a connection to each exists.
    const masters = (client as Cluster).nodes('master');
    await Promise.all(masters.map((m) => m.ping()));
    const nodes = (client as Cluster).nodes('all');
    expect(nodes.length).toBeGreaterThanOrEqual(3);
    dropRedis(client);
    for (const node of nodes) {
      expect((node.stream as Redis['stream'] | undefined)?.destroyed ?? true).toBe(true);
    }
  });

  it('refuses a prefix without a hash tag in cluster mode (exit 2, says why)', async () => {
    world = await createFailoverWorld(topology);
    const run = await cli(
      world,
      { ...cluster.env, TAKEDOWN_PREFIX: 'takedown' },
      ['stats'],
      30_000,
    );
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/TAKEDOWN_PREFIX.*hash tag/);
  });

  it('500 takedowns survive a CLUSTER FAILOVER of the queue master mid-batch', async () => {
    world = await createFailoverWorld(topology, { AGORA_DELETE_RPS: '150' });
    const w = world;
    await takedownsSurviveFailover(w, 'cluster failover', async () => {
      const from = await cluster.masterOf(queueKey(w));
      const to = await cluster.failover(queueKey(w));
      return { from, to };
    });
  });

  it('/readyz is 503 and producers fail fast while no master holds the queue; both recover', async () => {
    world = await createFailoverWorld(topology);
    const key = queueKey(world);
    let master: RedisNode | undefined;
    let replica: RedisNode | undefined;
    await readinessAndProducerAcrossOutage(
      world,
      cluster.env,
      async () => {
        master = await cluster.masterOf(key);
        replica = await cluster.replicaOf(key);
        master.pause();
        replica.pause();
      },
      async () => {
        // The replica comes back first and takes over the slot; then the old master rejoins.
        const next = replica as RedisNode;
        next.resume();
        await waitFor(async () => (await cluster.masterOf(key)).port === next.port, {
          timeoutMs: 60_000,
          intervalMs: 250,
          what: `${next.address} promoted while its master is frozen`,
        });
        master?.resume();
      },
    );
    await cluster.waitHealthy(key);
  });
});
