import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inheritedEnv } from './inherited-env.js';
import { waitFor } from './wait-for.js';

/** Repository root (test/support → ../..). */
export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const BIN = join(REPO_ROOT, 'bin', 'takedown.js');

/** The log line `takedown worker` writes once it takes jobs (src/worker/main.ts). */
export const WORKER_READY_MSG = 'worker ready';

export interface WorkerProcessOptions {
  redisUrl: string;
  /** Env that selects Redis instead of REDIS_URL (REDIS_CLUSTER_NODES or REDIS_SENTINELS …). */
  redisEnv?: Record<string, string>;
  prefix: string;
  agoraBaseUrl: string;
  customerId: string;
  customerSecret: string;
  /** More env vars (WORKER_LOCK_DURATION_MS, TAKEDOWN_ATTEMPTS, ...); strings only. */
  env?: Record<string, string>;
  /** Extra CLI arguments after `worker`. */
  args?: string[];
}

export interface LogLine {
  level?: number;
  msg?: string;
  [key: string]: unknown;
}

export interface WorkerProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  /** Parsed JSON log lines so far (stderr and stdout); non-JSON lines are kept as `{ msg: raw }`. */
  readonly logs: LogLine[];
  /** Raw stderr so far. */
  stderr(): string;
  /** Raw stdout so far. */
  stdout(): string;
  /** Resolves when the process has exited. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves once the worker logged that it takes jobs. */
  ready(timeoutMs?: number): Promise<void>;
  waitForLog(
    predicate: (line: LogLine) => boolean,
    timeoutMs?: number,
    what?: string,
  ): Promise<LogLine>;
  kill(signal: NodeJS.Signals): void;
  /** SIGKILL unless already exited, then waits for the exit. Safe to call twice. */
  close(): Promise<void>;
}

/**
 * Starts `node bin/takedown.js worker` (the compiled dist/ — run `npm run build` first) as a
 * separate OS process, so a test can SIGKILL or SIGTERM a real worker.
 */
export function spawnWorker(options: WorkerProcessOptions): WorkerProcess {
  if (!existsSync(join(REPO_ROOT, 'dist', 'cli', 'main.js'))) {
    throw new Error(
      'dist/ is missing: run `npm run build` (npm test does) before the worker-process tests',
    );
  }
  const env: Record<string, string> = {
    ...inheritedEnv(),
    ...(options.redisEnv ?? { REDIS_URL: options.redisUrl }),
    TAKEDOWN_PREFIX: options.prefix,
    AGORA_BASE_URL: options.agoraBaseUrl,
    AGORA_CUSTOMER_ID: options.customerId,
    AGORA_CUSTOMER_SECRET: options.customerSecret,
    LOG_LEVEL: 'info',
    // The ops server is not what these tests look at; port 0 keeps parallel workers apart.
    HTTP_PORT: '0',
    ...options.env,
  };
  const child = spawn(process.execPath, [BIN, 'worker', ...(options.args ?? [])], {
    cwd: REPO_ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (child.pid === undefined) throw new Error('could not spawn the worker process');
  const logs: LogLine[] = [];
  const raw = { stdout: '', stderr: '' };
  // The CLI logs JSON lines to stderr (stdout is kept for --json output); read both.
  const collect = (stream: NodeJS.ReadableStream, name: 'stdout' | 'stderr'): void => {
    let partial = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      raw[name] += chunk;
      partial += chunk;
      let nl: number;
      while ((nl = partial.indexOf('\n')) >= 0) {
        const raw = partial.slice(0, nl);
        partial = partial.slice(nl + 1);
        if (raw.trim() === '') continue;
        try {
          logs.push(JSON.parse(raw) as LogLine);
        } catch {
          logs.push({ msg: raw });
        }
      }
    });
  };
  collect(child.stdout, 'stdout');
  collect(child.stderr, 'stderr');
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  let hasExited = false;
  void exited.then(() => {
    hasExited = true;
  });

  const waitForLog = async (
    predicate: (line: LogLine) => boolean,
    timeoutMs = 15_000,
    what = 'a log line',
  ): Promise<LogLine> =>
    waitFor(
      () => {
        const found = logs.find(predicate);
        if (found) return found;
        if (hasExited)
          throw new Error(`worker exited before ${what}; stderr: ${raw.stderr.slice(-2000)}`);
        return undefined;
      },
      { timeoutMs, what },
    );

  return {
    child,
    pid: child.pid,
    logs,
    stderr: () => raw.stderr,
    stdout: () => raw.stdout,
    exited,
    ready: async (timeoutMs = 15_000) => {
      await waitForLog((l) => l.msg === WORKER_READY_MSG, timeoutMs, `"${WORKER_READY_MSG}"`);
    },
    waitForLog,
    kill: (signal) => {
      if (!hasExited) child.kill(signal);
    },
    close: async () => {
      if (!hasExited) child.kill('SIGKILL');
      await exited;
    },
  };
}
