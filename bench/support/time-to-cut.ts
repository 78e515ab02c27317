import { setTimeout as sleep } from 'node:timers/promises';
import type { SimulatorAdmin } from '../../src/simulator/index.js';

/**
 * When each SID was cut on the simulator (epoch ms): the answer time of its first successful
 * force-disconnect (arrival + handling, which includes the simulated latency). Polls the call log
 * until every SID is cut or `timeoutMs` passes.
 */
export async function waitForCuts(
  admin: SimulatorAdmin,
  sids: readonly string[],
  timeoutMs: number,
  since = 0,
): Promise<Map<string, number>> {
  const cut = new Map<string, number>();
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    for (const c of await admin.calls(since)) {
      if (c.op !== 'disconnect' || c.status !== 200 || c.sid === undefined) continue;
      if (!cut.has(c.sid)) cut.set(c.sid, c.time + (c.durationMs ?? 0));
    }
    if (sids.every((sid) => cut.has(sid))) return cut;
    if (Date.now() > deadline) {
      throw new Error(`only ${cut.size} of ${sids.length} SIDs were cut within ${timeoutMs} ms`);
    }
    await sleep(20);
  }
}
