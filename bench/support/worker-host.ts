import { fork } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type {
  ChildMessage,
  ParentMessage,
  RunResultMessage,
  SampleResultMessage,
  WorkerKind,
} from './worker-child-protocol.js';

const CHILD = fileURLToPath(new URL('./worker-child.js', import.meta.url));
const DIST = fileURLToPath(new URL('../../dist/worker/index.js', import.meta.url));

export interface WorkerHost {
  readonly pid: number;
  /** Resumes the queue (when `resume`) and resolves once `target` more jobs completed in the child. */
  run(
    target: number,
    options?: { resume?: boolean; timeoutMs?: number },
  ): Promise<RunResultMessage>;
  /** GC, then memory of the child. */
  sample(): Promise<SampleResultMessage>;
  /** Closes the worker gracefully, then makes sure the process is gone. */
  close(): Promise<void>;
}

/**
 * Forks bench/support/worker-child.js (plain node on dist/, with --expose-gc) and starts a worker of
 * `kind` in it, configured by `env` exactly as `takedown worker` would be (loadConfig).
 */
export async function startWorkerHost(
  kind: WorkerKind,
  env: Record<string, string>,
  options: { limiterOff?: boolean; limiterMaxHoldMs?: number } = {},
): Promise<WorkerHost> {
  if (!existsSync(DIST)) throw new Error('dist/ is missing: `npm run bench` builds it first');
  // BENCH_WORKER_CHILD=FILE runs another child script (what-if experiments while profiling).
  const child: ChildProcess = fork(process.env['BENCH_WORKER_CHILD'] ?? CHILD, [], {
    // BENCH_CPU_PROF=DIR writes a .cpuprofile per worker child there (see bench/support/profile-summary.ts).
    execArgv: [
      '--expose-gc',
      ...(process.env['BENCH_CPU_PROF']
        ? ['--cpu-prof', `--cpu-prof-dir=${process.env['BENCH_CPU_PROF']}`]
        : []),
    ],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    env: {
      PATH: process.env['PATH'] ?? '',
      NODE_ENV: 'production',
      ...(process.env['BENCH_CHILD_FLAGS']
        ? { BENCH_CHILD_FLAGS: process.env['BENCH_CHILD_FLAGS'] }
        : {}),
    },
  });
  if (child.pid === undefined) throw new Error('could not fork the worker child');
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let gone = false;
  void exited.then(() => {
    gone = true;
  });

  const next = <T extends ChildMessage['type']>(
    type: T,
    timeoutMs: number,
  ): Promise<Extract<ChildMessage, { type: T }>> =>
    new Promise((resolve, reject) => {
      const cleanup = (): void => {
        clearTimeout(timer);
        child.off('message', onMessage);
        child.off('exit', onExit);
      };
      const onMessage = (msg: ChildMessage): void => {
        if (msg.type === type) {
          cleanup();
          resolve(msg as Extract<ChildMessage, { type: T }>);
        } else if (msg.type === 'error') {
          cleanup();
          reject(new Error(`worker child (${kind}): ${msg.message}`));
        }
      };
      const onExit = (code: number | null): void => {
        cleanup();
        reject(new Error(`worker child (${kind}) exited (code ${code}) while waiting for ${type}`));
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`worker child (${kind}): no ${type} within ${timeoutMs} ms`));
      }, timeoutMs);
      child.on('message', onMessage);
      child.once('exit', onExit);
    });
  const post = (msg: ParentMessage): void => {
    child.send(msg);
  };

  const kill = async (): Promise<void> => {
    if (!gone) child.kill('SIGKILL');
    await exited;
  };

  try {
    const ready = next('ready', 90_000);
    post({
      type: 'init',
      kind,
      env,
      limiterOff: options.limiterOff ?? false,
      ...(options.limiterMaxHoldMs === undefined
        ? {}
        : { limiterMaxHoldMs: options.limiterMaxHoldMs }),
    });
    await ready;
  } catch (err) {
    await kill();
    throw err;
  }

  return {
    pid: child.pid,
    async run(target, options = {}) {
      const result = next('run-result', options.timeoutMs ?? 600_000);
      post({ type: 'run', target, resume: options.resume ?? true });
      return result;
    },
    async sample() {
      const result = next('sample-result', 30_000);
      post({ type: 'sample' });
      return result;
    },
    async close() {
      if (!gone) {
        try {
          const closed = next('closed', 15_000);
          post({ type: 'close' });
          await closed;
        } catch {
          // Fall through to the kill below.
        }
      }
      const timer = setTimeout(() => void kill(), 3000);
      await exited;
      clearTimeout(timer);
    },
  };
}
