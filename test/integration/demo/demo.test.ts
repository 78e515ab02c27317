import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { freePort } from '../../support/redis-server.js';
import { redisUrl } from '../../support/isolation.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const BIN = fileURLToPath(new URL('../../../bin/takedown.js', import.meta.url));

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs the built CLI as a newcomer would, with only the given extra environment. */
function runTakedown(args: string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<Run> {
  if (!existsSync(new URL('../../../dist/cli/main.js', import.meta.url))) {
    throw new Error('dist/ is missing: run `npm run build` (npm test does) before this test');
  }
  const started = Date.now();
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: ROOT,
    env: { PATH: process.env['PATH'], HOME: process.env['HOME'], ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(
          `takedown ${args.join(' ')} still running after ${timeoutMs} ms:\n${stdout}\n${stderr}`,
        ),
      );
    }, timeoutMs);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, ms: Date.now() - started });
    });
  });
}

async function keysUnder(prefix: string): Promise<string[]> {
  const redis = new Redis(redisUrl(), { maxRetriesPerRequest: 1 });
  try {
    const keys: string[] = [];
    let cursor = '0';
    do {
      const [next, found] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      keys.push(...found);
    } while (cursor !== '0');
    return keys;
  } finally {
    redis.disconnect();
  }
}

describe('takedown demo (built binary)', () => {
  it('runs every use case to completion: still live 0, one DLQ entry, under 60 s, no keys left', async () => {
    const run = await runTakedown(['demo'], { REDIS_URL: redisUrl() }, 90_000);
    const output = `${run.stdout}\n${run.stderr}`;
    expect(run.code, output).toBe(0);
    expect(run.ms).toBeLessThan(60_000);
    expect(run.stderr).toBe('');

    expect(run.stdout).toMatch(/^ {2}still live\s+0\s/m);
    expect(run.stdout).toMatch(
      /^ {2}in the DLQ\s+1\s+permanent at step revoke-key: .*403.*Stream does not belong to this app ID\./m,
    );
    expect(run.stdout).toMatch(/^ {2}taken down\s+202\s/m);
    expect(run.stdout).toMatch(/^ {2}already offline\s+1\s/m);
    const urgent = /finished after (\d+) of 200 batch takedowns/.exec(run.stdout);
    expect(urgent, output).not.toBeNull();
    expect(Number(urgent?.[1])).toBeLessThan(100);
    expect(run.stdout).toMatch(/reconnects blocked\s+[1-9]\d*\s/);
    expect(run.stdout).toMatch(/demo finished in \d+\.\d s/);
    // The customer secret is random per run and must never be printed; Basic auth neither.
    expect(run.stdout).not.toMatch(/Basic [A-Za-z0-9+/=]{8,}/);

    const prefix = /key prefix (takedown-demo-[0-9a-f]{8})/.exec(run.stdout)?.[1];
    expect(prefix, output).toBeDefined();
    expect(await keysUnder(prefix ?? 'missing-prefix')).toEqual([]);
    console.info(`takedown demo took ${(run.ms / 1000).toFixed(1)} s`);
  }, 100_000);

  it('exits 1 with a clear message when REDIS_URL does not answer', async () => {
    const port = await freePort();
    const run = await runTakedown(
      ['demo'],
      { REDIS_URL: `redis://:s3cret-pw@127.0.0.1:${port}` },
      30_000,
    );
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`Redis unreachable at redis://:***@127.0.0.1:${port}`);
    expect(run.stderr).toContain('REDIS_URL');
    expect(`${run.stdout}${run.stderr}`).not.toContain('s3cret-pw');
  }, 40_000);
});
