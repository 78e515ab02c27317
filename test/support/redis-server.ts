import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export interface LocalRedis {
  url: string;
  port: number;
  dir: string;
  /** Stops the server (SIGKILL when `hard`), keeping its data directory. */
  stop(hard?: boolean): Promise<void>;
  /** Starts it again on the same port with the same data directory (AOF replays). */
  restart(): Promise<void>;
  /** Stops it and removes its data directory. */
  close(): Promise<void>;
  /** Freezes the process (SIGSTOP): its sockets stay open but it answers nothing. */
  pause(): void;
  /** Thaws a paused process (SIGCONT). */
  resume(): void;
}

export const REDIS_INSTALL_HINT =
  'Integration tests need Redis. Either run a container runtime (Docker/Podman) for testcontainers, ' +
  'or install redis-server on PATH (Debian/Ubuntu: `apt-get update && apt-get install -y redis-server`; ' +
  'macOS: `brew install redis`). `bash .ci/run` installs it automatically on Debian.';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => {
        if (addr && typeof addr === 'object') resolve(addr.port);
        else reject(new Error('could not get a free port'));
      });
    });
  });
}

async function ping(port: number, password?: string): Promise<boolean> {
  const { Socket } = await import('node:net');
  return new Promise((resolve) => {
    const s = new Socket();
    let buf = '';
    s.setTimeout(500);
    s.once('error', () => resolve(false));
    s.once('timeout', () => {
      s.destroy();
      resolve(false);
    });
    // With a password, AUTH goes first; the answer to PING is then the last line.
    const expected = password === undefined ? 1 : 2;
    s.connect(port, '127.0.0.1', () =>
      s.write(password === undefined ? 'PING\r\n' : `AUTH ${password}\r\nPING\r\n`),
    );
    s.on('data', (d) => {
      buf += d.toString();
      const lines = buf.split('\r\n').slice(0, -1);
      if (lines.length >= expected) {
        s.destroy();
        resolve(lines[expected - 1] === '+PONG');
      }
    });
  });
}

export interface StartLocalRedisOptions {
  port?: number;
  binary?: string;
  /** `--requirepass`; the returned `url` carries it (`redis://:PASSWORD@127.0.0.1:PORT`). */
  password?: string;
  /** More redis-server arguments, appended after the defaults. */
  args?: readonly string[];
}

/**
 * Starts a throw-away `redis-server` on a free loopback port with AOF on (so a restart keeps
 * data) and `noeviction`, as production should run.
 */
export async function startLocalRedis(options: StartLocalRedisOptions = {}): Promise<LocalRedis> {
  const binary = options.binary ?? 'redis-server';
  const port = options.port ?? (await freePort());
  const dir = await mkdtemp(join(tmpdir(), 'takedown-redis-'));
  let child: ChildProcess | undefined;

  const start = async (): Promise<void> => {
    // Flag/value pairs, one per line.
    // prettier-ignore
    const args = [
      '--port', String(port),
      '--bind', '127.0.0.1',
      '--dir', dir,
      '--appendonly', 'yes',
      '--appendfsync', 'everysec',
      '--save', '',
      '--maxmemory-policy', 'noeviction',
      '--daemonize', 'no',
      '--protected-mode', 'no',
      ...(options.password === undefined ? [] : ['--requirepass', options.password]),
      ...(options.args ?? []),
    ];
    const proc = spawn(binary, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    child = proc;
    let spawnError: Error | undefined;
    proc.once('error', (err) => {
      spawnError = err;
    });
    for (let i = 0; i < 100; i++) {
      if (spawnError) {
        throw new Error(`could not start ${binary}: ${spawnError.message}. ${REDIS_INSTALL_HINT}`, {
          cause: spawnError,
        });
      }
      if (proc.exitCode !== null) throw new Error(`${binary} exited with code ${proc.exitCode}`);
      if (await ping(port, options.password)) return;
      await sleep(50);
    }
    throw new Error(`${binary} did not answer PING on port ${port} within 5 s`);
  };

  const stop = async (hard = false): Promise<void> => {
    const proc = child;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    proc.kill('SIGCONT');
    proc.kill(hard ? 'SIGKILL' : 'SIGTERM');
    await exited;
  };

  await start();
  return {
    url:
      options.password === undefined
        ? `redis://127.0.0.1:${port}`
        : `redis://:${encodeURIComponent(options.password)}@127.0.0.1:${port}`,
    port,
    dir,
    stop,
    restart: start,
    pause: () => child?.kill('SIGSTOP'),
    resume: () => child?.kill('SIGCONT'),
    close: async () => {
      await stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
