import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pingRedis } from './ping-redis.js';

/** A Redis the demo uses; `close()` stops whatever the demo started for it. */
export interface DemoRedis {
  url: string;
  /** Where it came from, for the demo's header line. */
  source: 'REDIS_URL' | 'local' | 'throwaway';
  close(): Promise<void>;
  /** Synchronous last resort for process exit: kills a started server, removes its temp dir. */
  killNow(): void;
}

export interface StartThrowawayRedisOptions {
  /** @defaultValue 'redis-server' (from PATH) */
  binary?: string;
  /** How long to wait for the first PONG. @defaultValue 5000 */
  startTimeoutMs?: number;
}

/** The binary could not be run at all (not on PATH, not executable). */
export class RedisBinaryMissingError extends Error {
  override readonly name = 'RedisBinaryMissingError';
  readonly retryable = false;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        if (address !== null && typeof address === 'object') resolve(address.port);
        else reject(new Error('could not find a free port'));
      });
    });
  });
}

/**
 * Starts `redis-server` on a free loopback port with its data in a fresh temp dir: nothing
 * persisted (`--save ''`, no AOF), `noeviction` as the worker expects. The child gets its own
 * process group (`detached`), so a Ctrl-C in the terminal reaches only the demo, which still
 * needs Redis to remove its keys before it stops the server itself.
 */
export async function startThrowawayRedis(
  options: StartThrowawayRedisOptions = {},
): Promise<DemoRedis> {
  const binary = options.binary ?? 'redis-server';
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'takedown-demo-redis-'));
  const removeDir = (): void => rmSync(dir, { recursive: true, force: true });
  const child = spawn(
    binary,
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--dir',
      dir,
      '--save',
      '',
      '--appendonly',
      'no',
      '--maxmemory-policy',
      'noeviction',
      '--protected-mode',
      'no',
      '--daemonize',
      'no',
    ],
    { stdio: 'ignore', detached: true },
  );
  let spawnError: Error | undefined;
  child.once('error', (err) => {
    spawnError = err;
  });
  const running = (): boolean => child.exitCode === null && child.signalCode === null;
  const killNow = (): void => {
    if (running() && spawnError === undefined) child.kill('SIGKILL');
    removeDir();
  };

  const deadline = Date.now() + (options.startTimeoutMs ?? 5000);
  for (;;) {
    if (spawnError !== undefined) {
      removeDir();
      throw new RedisBinaryMissingError(`cannot run ${binary}: ${spawnError.message}`, {
        cause: spawnError,
      });
    }
    if (!running()) {
      removeDir();
      throw new Error(`${binary} exited at start (code ${String(child.exitCode)})`);
    }
    if (await pingRedis('127.0.0.1', port, 200)) break;
    if (Date.now() > deadline) {
      killNow();
      throw new Error(`${binary} did not answer PING on port ${port} in time`);
    }
    await sleep(50);
  }

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      if (running()) {
        const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
        await exited;
        clearTimeout(timer);
      }
      removeDir();
    })());

  return { url: `redis://127.0.0.1:${port}`, source: 'throwaway', close, killNow };
}
