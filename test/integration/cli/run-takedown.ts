import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inheritedEnv } from '../../support/inherited-env.js';
import { REPO_ROOT } from '../../support/worker-process.js';

const BIN = join(REPO_ROOT, 'bin', 'takedown.js');
const BUILT = join(REPO_ROOT, 'dist', 'cli', 'commands', 'batch.js');

export interface TakedownRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Peak resident set of the child in MB (from its own getrusage at exit), when measured. */
  peakRssMb?: number;
  ms: number;
}

export interface RunOptions {
  env?: Record<string, string>;
  /** Measure the child's peak RSS (a preload reports process.resourceUsage().maxRSS at exit). */
  measureRss?: boolean;
  /** Extra Node options for the child (NODE_OPTIONS). */
  nodeOptions?: string[];
  /** Kill the child (SIGKILL) after this long: no test hangs on a CLI that hangs. @defaultValue 30000 */
  timeoutMs?: number;
}

export function assertBuilt(): void {
  if (!existsSync(BUILT)) {
    throw new Error(
      'dist/ is missing or stale: run `npm run build` (npm test does) before the CLI end-to-end tests',
    );
  }
}

/**
 * Runs the BUILT `takedown` binary (`node bin/takedown.js …args`) as a child process and resolves
 * with its exit code and output once it exits.
 */
export async function runTakedown(args: string[], options: RunOptions = {}): Promise<TakedownRun> {
  assertBuilt();
  const env: Record<string, string> = { ...inheritedEnv(), ...options.env };
  const nodeOptions = [...(options.nodeOptions ?? [])];
  let rssDir: string | undefined;
  if (options.measureRss === true) {
    rssDir = mkdtempSync(join(tmpdir(), 'takedown-rss-'));
    const preload = join(rssDir, 'report-rss.cjs');
    writeFileSync(
      preload,
      `process.on('exit', () => require('node:fs').writeFileSync(${JSON.stringify(
        join(rssDir, 'rss'),
      )}, String(process.resourceUsage().maxRSS)));\n`,
    );
    nodeOptions.push(`--require ${preload}`);
  }
  if (nodeOptions.length > 0) env['NODE_OPTIONS'] = nodeOptions.join(' ');
  const started = Date.now();
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: REPO_ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 30_000);
  try {
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>(
      (resolve, reject) => {
        child.once('error', reject);
        child.once('close', (c, s) => resolve([c, s]));
      },
    );
    const result: TakedownRun = { code, signal, stdout, stderr, ms: Date.now() - started };
    if (rssDir !== undefined) {
      // maxRSS is in kilobytes.
      result.peakRssMb = Number(readFileSync(join(rssDir, 'rss'), 'utf8')) / 1024;
    }
    return result;
  } finally {
    clearTimeout(timer);
    if (rssDir !== undefined) rmSync(rssDir, { recursive: true, force: true });
  }
}

/** The parsed --json document on stdout (fails the test with the raw output otherwise). */
export function jsonOf<T = Record<string, unknown>>(run: TakedownRun): T {
  try {
    return JSON.parse(run.stdout) as T;
  } catch {
    throw new Error(`stdout is not one JSON document:\n${run.stdout}\nstderr:\n${run.stderr}`);
  }
}
