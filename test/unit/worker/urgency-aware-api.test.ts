import { describe, expect, it } from 'vitest';
import { RateLimitBusyError } from '../../../src/worker/rate-limit-busy-error.js';
import { withUrgency } from '../../../src/worker/urgency-aware-api.js';
import { FakeAgoraApi } from '../jobs/support/fake-agora-api.js';

const ref = { region: 'na' as const, appId: 'app', sid: 'sid-1' };

/** The normal path as a busy limiter makes it look: nothing is sent, the call is refused. */
function busyApi(): FakeAgoraApi & { refused: number } {
  const api = Object.assign(new FakeAgoraApi(), { refused: 0 });
  api.disconnectStream = (): Promise<never> => {
    api.refused++;
    return Promise.reject(
      new RateLimitBusyError({
        appId: 'app',
        callClass: 'delete',
        backlogMs: 9000,
        retryAfterMs: 8000,
      }),
    );
  };
  return api;
}

describe('withUrgency (a job raised to urgent while it runs)', () => {
  it('a job raised meanwhile takes the urgent path instead of being parked, and keeps it', async () => {
    const normal = busyApi();
    const urgent = new FakeAgoraApi();
    let reads = 0;
    const api = withUrgency(normal, urgent, false, () => {
      reads++;
      return Promise.resolve(true);
    });
    await expect(api.disconnectStream(ref)).resolves.toMatchObject({ result: 'not-found' });
    await api.disconnectStream(ref);
    expect(urgent.calls.map((c) => c.op)).toEqual(['disconnect', 'disconnect']);
    expect(normal.refused).toBe(1);
    expect(reads).toBe(1);
  });

  it('a job still not urgent is parked as before (the busy error propagates)', async () => {
    const api = withUrgency(busyApi(), new FakeAgoraApi(), false, () => Promise.resolve(false));
    await expect(api.disconnectStream(ref)).rejects.toBeInstanceOf(RateLimitBusyError);
  });

  it('the priority is not read on the normal path', async () => {
    let reads = 0;
    const normal = new FakeAgoraApi();
    const api = withUrgency(normal, new FakeAgoraApi(), false, () => {
      reads++;
      return Promise.resolve(true);
    });
    await api.disconnectStream(ref);
    expect(normal.calls).toHaveLength(1);
    expect(reads).toBe(0);
  });
});
