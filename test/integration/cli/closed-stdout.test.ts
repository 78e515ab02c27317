import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { inheritedEnv } from '../../support/inherited-env.js';
import { redisUrl, uniquePrefix } from '../../support/isolation.js';
import { REPO_ROOT } from '../../support/worker-process.js';
import { assertBuilt } from './run-takedown.js';

const BIN = join(REPO_ROOT, 'bin', 'takedown.js');

/** Runs the built CLI with its stdout pipe closed by the reader at once, like `| head -0`. */
async function runWithClosedStdout(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number | null; stderr: string }> {
  assertBuilt();
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: REPO_ROOT,
    env: { ...inheritedEnv(), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.destroy();
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  clearTimeout(timer);
  return { code, stderr };
}

const COMMANDS = [
  'worker',
  'enqueue',
  'batch',
  'channel',
  'expire',
  'status',
  'dlq',
  'stats',
  'simulator',
  'demo',
];

describe('a closed stdout (`takedown … | head`) ends the CLI quietly with exit 0', () => {
  it.each([[['--help']], ...COMMANDS.map((c) => [[c, '--help']])])('takedown %j', async (args) => {
    const run = await runWithClosedStdout(args);
    expect(run.stderr).not.toMatch(/EPIPE|at .*\.js/);
    expect(run.code).toBe(0);
  });

  it('dlq list, expire --list and stats against a real Redis', async () => {
    const env = { REDIS_URL: redisUrl(), TAKEDOWN_PREFIX: uniquePrefix('epipe') };
    for (const args of [['dlq', 'list'], ['expire', '--list', '--json'], ['stats']]) {
      const run = await runWithClosedStdout(args, env);
      expect(run.stderr, args.join(' ')).not.toMatch(/EPIPE|at .*\.js/);
      expect(run.code, args.join(' ')).toBe(0);
    }
  });
});
