import { describe, expect, it } from 'vitest';
import { api, apiPath, sleep, useSimulators } from './sim-http.js';
import type { ApiAnswer } from './sim-http.js';
import type { Simulator } from '../../../src/simulator/index.js';

const start = useSimulators();

function burst(sim: Simulator, n: number, method: string, path: string): Promise<ApiAnswer[]> {
  return Promise.all(Array.from({ length: n }, () => api(sim, method, path)));
}

function count(answers: ApiAnswer[], status: number): number {
  return answers.filter((a) => a.status === status).length;
}

describe('simulator: per-App-ID rate limits', () => {
  it('answers 429 beyond the configured delete rate, with the Agora message and a request id', async () => {
    const { sim, admin } = await start({ deleteRps: 2 });
    const answers = await burst(sim, 6, 'DELETE', apiPath('na', 'app1', 'streamkeys/nope'));
    // 2 tokens at start; a 3rd needs 500 ms, far longer than a local burst takes.
    expect(count(answers, 404)).toBe(2);
    expect(count(answers, 429)).toBe(4);
    const limited = answers.find((a) => a.status === 429);
    expect(limited?.body).toEqual({ message: 'Request rate limit exceeded.' });
    expect(limited?.requestId).not.toBeNull();
    expect((await admin.stats()).byStatus).toMatchObject({ '404': 2, '429': 4 });
  });

  it('keeps call classes and App IDs apart', async () => {
    const { sim } = await start({ deleteRps: 1, queryRps: 100 });
    await burst(sim, 2, 'DELETE', apiPath('na', 'app1', 'online-streams/x'));
    // Disconnect shares the delete class with delete-key.
    expect((await api(sim, 'DELETE', apiPath('na', 'app1', 'streamkeys/x'))).status).toBe(429);
    expect((await api(sim, 'GET', apiPath('na', 'app1', 'online-streams'))).status).toBe(200);
    expect((await api(sim, 'DELETE', apiPath('na', 'app2', 'streamkeys/x'))).status).toBe(404);
    // Regions share the App ID's budget.
    expect((await api(sim, 'DELETE', apiPath('eu', 'app1', 'streamkeys/x'))).status).toBe(429);
  });

  it('refills tokens over time', async () => {
    const { sim } = await start({ createRps: 2 });
    const path = apiPath('na', 'app1', 'streamkeys');
    const body = { settings: { channel: 'c', uid: '1', expiresAfter: 0 } };
    let limited = false;
    for (let i = 0; i < 10 && !limited; i += 1) {
      limited = (await api(sim, 'POST', path, { body })).status === 429;
    }
    expect(limited).toBe(true);
    await sleep(600); // >= 1 token at 2/s
    expect((await api(sim, 'POST', path, { body })).status).toBe(200);
  });

  it('does not limit a class set to 0, and applies limits changed at run time', async () => {
    const { sim, admin } = await start({ queryRps: 0 });
    const answers = await burst(sim, 150, 'GET', apiPath('na', 'app1', 'online-streams'));
    expect(count(answers, 200)).toBe(150);
    expect(await admin.setLimits({ queryRps: 1 })).toEqual({
      createRps: 50,
      deleteRps: 50,
      queryRps: 1,
    });
    const limited = await burst(sim, 3, 'GET', apiPath('na', 'app1', 'online-streams'));
    expect(count(limited, 429)).toBe(2);
  });
});
