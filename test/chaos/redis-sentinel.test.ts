import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ChaosWorld } from '../support/chaos-world.js';
import {
  cli,
  createFailoverWorld,
  readinessAndProducerAcrossOutage,
  takedownsSurviveFailover,
} from '../support/redis-failover-scenarios.js';
import type { Topology } from '../support/redis-failover-scenarios.js';
import { startLocalSentinel } from '../support/redis-topology.js';
import type { LocalSentinel, RedisNode } from '../support/redis-topology.js';
import { waitFor } from '../support/wait-for.js';

describe('chaos: Redis Sentinel (master, replica, 3 Sentinels, from redis-server)', () => {
  let sentinel: LocalSentinel;
  let topology: Topology;
  let world: ChaosWorld | undefined;
  beforeAll(async () => {
    sentinel = await startLocalSentinel();
    topology = { settings: sentinel.settings, env: sentinel.env, hashTag: false };
  });
  afterEach(async () => {
    await world?.close();
    world = undefined;
  });
  afterAll(async () => {
    await sentinel.close();
  });

  it('refuses REDIS_URL and REDIS_SENTINELS together (exit 2, naming both)', async () => {
    world = await createFailoverWorld(topology);
    const run = await cli(world, { ...sentinel.env, REDIS_URL: 'redis://127.0.0.1:1' }, ['stats']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/REDIS_URL and REDIS_SENTINELS/);
  });

  it('500 takedowns survive a SENTINEL FAILOVER mid-batch', async () => {
    world = await createFailoverWorld(topology, { AGORA_DELETE_RPS: '150' });
    await takedownsSurviveFailover(
      world,
      'sentinel failover',
      async () => {
        const from = await sentinel.master();
        const to = await sentinel.failover();
        return { from, to };
      },
      { asyncReplicationLoss: true },
    );
  });

  it('/readyz is 503 and producers fail fast while no master is reachable; both recover', async () => {
    world = await createFailoverWorld(topology);
    let master: RedisNode | undefined;
    let replica: RedisNode | undefined;
    await readinessAndProducerAcrossOutage(
      world,
      sentinel.env,
      async () => {
        master = await sentinel.master();
        replica = sentinel.dataNodes.find((n) => n !== master);
        master.pause();
        replica?.pause();
      },
      async () => {
        // The replica comes back first and the Sentinels promote it; then the old master
        // returns and is turned into its replica.
        const next = replica as RedisNode;
        next.resume();
        await waitFor(async () => (await sentinel.master()).port === next.port, {
          timeoutMs: 60_000,
          intervalMs: 250,
          what: `the Sentinels to promote ${next.address}`,
        });
        master?.resume();
      },
    );
  });
});
