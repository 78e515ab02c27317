import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../support/worker-process.js';
import { assertBuilt } from './run-takedown.js';

const MODULE = pathToFileURL(join(REPO_ROOT, 'dist', 'cli', 'exit-when-done.js')).href;

/** A node process that finishes its "command" with `code` while `linger` keeps a handle open. */
async function finish(code: number, linger: string): Promise<number | null> {
  assertBuilt();
  const script = `${linger}; const { exitWhenDone } = await import(${JSON.stringify(MODULE)}); exitWhenDone(${code}, 200);`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
    stdio: 'ignore',
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  const exit = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  clearTimeout(timer);
  return exit;
}

// The Cluster chaos scenario caught `takedown enqueue` printing its error and then never exiting
// while the queue's master was frozen: something the frozen node left open held the event loop.
describe('a finished CLI command exits with its code even if a handle stays open', () => {
  it('a listening server (any open handle) does not keep it alive', async () => {
    expect(
      await finish(1, `(await import('node:net')).createServer().listen(0, '127.0.0.1')`),
    ).toBe(1);
  });

  it('with nothing open it exits at once with the same code', async () => {
    expect(await finish(2, 'void 0')).toBe(2);
    expect(await finish(0, 'void 0')).toBe(0);
  });
});
