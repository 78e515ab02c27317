import { describe, expect, it } from 'vitest';
import { createReadinessCheck } from '../../../src/server/index.js';

describe('createReadinessCheck', () => {
  it('is ready when the worker runs and Redis answers PING', async () => {
    const check = createReadinessCheck({
      redis: { ping: () => Promise.resolve('PONG') },
      worker: { isRunning: () => true },
    });
    expect(await check()).toEqual({ ready: true });
  });

  it('reports shutting down first, then a stopped worker, then Redis', async () => {
    let shuttingDown = true;
    let running = false;
    let pingFails = true;
    const check = createReadinessCheck({
      redis: {
        ping: () =>
          pingFails ? Promise.reject(new Error('Connection is closed.')) : Promise.resolve('PONG'),
      },
      worker: { isRunning: () => running },
      isShuttingDown: () => shuttingDown,
    });
    expect(await check()).toEqual({ ready: false, reason: 'shutting down' });
    shuttingDown = false;
    expect(await check()).toEqual({ ready: false, reason: 'worker is not running' });
    running = true;
    expect(await check()).toEqual({
      ready: false,
      reason: 'Redis unreachable: Connection is closed.',
    });
    pingFails = false;
    expect(await check()).toEqual({ ready: true });
  });

  it('gives up on a PING that does not answer in time', async () => {
    const check = createReadinessCheck({
      redis: { ping: () => new Promise(() => undefined) },
      pingTimeoutMs: 50,
    });
    expect(await check()).toEqual({
      ready: false,
      reason: 'Redis unreachable: no PONG within 50 ms',
    });
  });
});
