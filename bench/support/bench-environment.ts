import { Redis } from 'ioredis';
import { createSimulator, createSimulatorAdmin } from '../../src/simulator/index.js';
import type { Simulator, SimulatorAdmin, SimulatorOptions } from '../../src/simulator/index.js';
import { startLocalRedis } from '../../test/support/redis-server.js';
import type { LocalRedis } from '../../test/support/redis-server.js';

/** Credentials the simulator checks and every worker under test sends (not a real secret). */
export const BENCH_CUSTOMER_ID = 'bench-customer';
export const BENCH_CUSTOMER_SECRET = 'bench-secret-not-real';
export const BENCH_APP_ID = 'benchApp0';
export const BENCH_REGION = 'na' as const;

export interface BenchEnvironment {
  redis: LocalRedis;
  redisUrl: string;
  /** Plain client for INFO / FLUSHALL; not used by what is measured. */
  redisClient: Redis;
  sim: Simulator;
  admin: SimulatorAdmin;
  /** `used_memory` from INFO memory, bytes. */
  usedMemory(): Promise<number>;
  flush(): Promise<void>;
  close(): Promise<void>;
}

/**
 * A throw-away redis-server (AOF on, noeviction, as production runs) and the simulator in this
 * process, on ephemeral ports. Limits default to 0 (unlimited) unless `sim` says otherwise.
 */
export async function startBenchEnvironment(sim: SimulatorOptions = {}): Promise<BenchEnvironment> {
  const redis = await startLocalRedis();
  let simulator: Simulator | undefined;
  let client: Redis | undefined;
  try {
    simulator = await createSimulator({
      customerId: BENCH_CUSTOMER_ID,
      customerSecret: BENCH_CUSTOMER_SECRET,
      createRps: 0,
      deleteRps: 0,
      queryRps: 0,
      latencyMs: 0,
      reconnectDelayMs: 500,
      ...sim,
    });
    client = new Redis(redis.url, { maxRetriesPerRequest: 3 });
    await client.ping();
  } catch (err) {
    client?.disconnect();
    await simulator?.close();
    await redis.close();
    throw err;
  }
  const s = simulator;
  const c = client;
  return {
    redis,
    redisUrl: redis.url,
    redisClient: c,
    sim: s,
    admin: createSimulatorAdmin(s.url),
    async usedMemory() {
      const info = await c.info('memory');
      const m = /^used_memory:(\d+)/m.exec(info);
      return m ? Number(m[1]) : Number.NaN;
    },
    async flush() {
      await c.flushall();
    },
    async close() {
      c.disconnect();
      await s.close();
      await redis.close();
    },
  };
}
