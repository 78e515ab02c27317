import { setTimeout as sleep } from 'node:timers/promises';
import { Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAgoraClient } from '../../src/agora/index.js';
import type { AgoraClient } from '../../src/agora/index.js';
import { TAKEDOWN_QUEUE } from '../../src/jobs/index.js';
import { checkChaosInvariants } from '../support/chaos-invariants.js';
import {
  CHAOS_CUSTOMER_ID,
  CHAOS_CUSTOMER_SECRET,
  createChaosWorld,
} from '../support/chaos-world.js';
import type { ChaosWorld } from '../support/chaos-world.js';
import { redisUrl } from '../support/isolation.js';

/**
 * Control run: proves the end-of-scenario checks can fail. A deliberately wrong worker cuts each
 * session BEFORE revoking its key (so the encoder reconnects with a new SID) and revokes twice in
 * one attempt; every check of chaos-invariants.ts must flag it.
 */
describe('chaos control: the invariant checks catch a wrong worker', () => {
  let world: ChaosWorld;
  let agora: AgoraClient;
  let connection: Redis;
  beforeAll(async () => {
    world = await createChaosWorld({ redisUrl: redisUrl(), attempts: 1 });
    agora = createAgoraClient({
      baseUrl: world.sim.url,
      auth: {
        scheme: 'basic',
        customerId: CHAOS_CUSTOMER_ID,
        customerSecret: CHAOS_CUSTOMER_SECRET,
      },
      timeoutMs: 2000,
    });
    connection = new Redis(world.redisUrl, { maxRetriesPerRequest: null });
  });
  afterAll(async () => {
    await agora.close();
    await world.close();
    await connection.quit();
  });

  it('reports wrong order, reconnects, live streams, extra calls and lost jobs', async () => {
    const { requests, targets } = await world.seed(6);
    await world.enqueueAll(requests, targets);
    const byJob = new Map(targets.map((t) => [t.jobId, t]));
    const wrong = new Worker(
      TAKEDOWN_QUEUE,
      async (job) => {
        const t = byJob.get(job.id ?? '');
        if (t === undefined) throw new Error(`unknown job ${job.id}`);
        const ref = { region: 'na' as const, appId: t.appId };
        await agora.disconnectStream({ ...ref, sid: t.sids[0] ?? '' });
        await sleep(400); // the encoder reconnects with a new SID meanwhile
        await agora.deleteStreamKey({ ...ref, streamKey: t.streamKey });
        await agora.deleteStreamKey({ ...ref, streamKey: t.streamKey });
      },
      { connection, prefix: world.prefix, concurrency: 6 },
    );
    try {
      await world.waitForFinished(targets.length, 20_000);
    } finally {
      await wrong.close();
    }
    const lost = {
      ...targets[0]!,
      jobId: 'sid-control-never-enqueued',
      streamKey: 'nokey',
      channel: 'nochannel',
      sids: [],
    };

    const report = await checkChaosInvariants({
      admin: world.admin,
      queue: world.queue,
      dlq: world.dlq,
      targets: [...targets, lost],
    });
    const has = (re: RegExp): number => report.violations.filter((v) => re.test(v)).length;
    expect(has(/before key .* was revoked/)).toBe(targets.length);
    expect(has(/reconnect/)).toBe(1);
    expect(has(/is still live/)).toBe(targets.length);
    expect(has(/delete-key calls for key/)).toBe(targets.length);
    expect(has(/never-enqueued: neither completed nor dead-lettered; state missing/)).toBe(1);
    expect(report.summary.reconnects).toBe(targets.length);
  });
});
