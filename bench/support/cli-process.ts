import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const BIN = join(REPO_ROOT, 'bin', 'takedown.js');
const GNU_TIME = '/usr/bin/time';

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  wallMs: number;
  /** Peak resident set size of the node process, bytes (GNU time, else /proc VmHWM polling). */
  peakRssBytes: number;
  peakRssSource: 'gnu-time' | 'proc-vmhwm';
}

/** Env of this process minus anything that configures takedown (the run says what it means). */
export function cleanEnv(extra: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v === undefined) continue;
    if (/^(TAKEDOWN_|AGORA_|WORKER_|REDIS_|HTTP_|LOG_|DASHBOARD_|INTAKE_|BENCH_)/.test(k)) continue;
    if (k === 'NODE_OPTIONS') continue;
    env[k] = v;
  }
  return { ...env, ...extra };
}

async function readVmHwm(pid: number): Promise<number | undefined> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const m = /^VmHWM:\s+(\d+)\s+kB/m.exec(status);
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Runs `node bin/takedown.js ARGS` (the built dist/) and measures wall time and peak RSS:
 * under GNU time (`-v`, its "Maximum resident set size") when present, else by polling the
 * child's VmHWM (a high-water mark, so the last read before exit is the peak so far).
 */
export async function runCli(
  args: readonly string[],
  env: Record<string, string>,
): Promise<CliRun> {
  if (!existsSync(join(REPO_ROOT, 'dist', 'cli', 'main.js'))) {
    throw new Error('dist/ is missing: `npm run bench` builds it first');
  }
  const useTime = existsSync(GNU_TIME);
  const timeFile = join(tmpdir(), `takedown-bench-time-${process.pid}-${Date.now()}.txt`);
  const [cmd, argv] = useTime
    ? [GNU_TIME, ['-v', '-o', timeFile, process.execPath, BIN, ...args]]
    : [process.execPath, [BIN, ...args]];
  const started = performance.now();
  const child = spawn(cmd, argv, { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  let polled = 0;
  let poller: NodeJS.Timeout | undefined;
  if (!useTime && child.pid !== undefined) {
    const pid = child.pid;
    poller = setInterval(() => {
      void readVmHwm(pid).then((v) => {
        if (v !== undefined && v > polled) polled = v;
      });
    }, 20);
  }
  const { code, signal } = await new Promise<{
    code: number | null;
    signal: NodeJS.Signals | null;
  }>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (c, s) => resolve({ code: c, signal: s }));
  });
  const wallMs = performance.now() - started;
  if (poller !== undefined) clearInterval(poller);
  let peakRssBytes = polled;
  if (useTime) {
    const report = await readFile(timeFile, 'utf8').catch(() => '');
    await rm(timeFile, { force: true });
    const m = /Maximum resident set size \(kbytes\): (\d+)/.exec(report);
    peakRssBytes = m ? Number(m[1]) * 1024 : Number.NaN;
  }
  return {
    code,
    signal,
    stdout,
    stderr,
    wallMs,
    peakRssBytes,
    peakRssSource: useTime ? 'gnu-time' : 'proc-vmhwm',
  };
}
