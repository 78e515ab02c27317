import { Writable } from 'node:stream';
import { runCli } from '../../../../src/cli/index.js';
import type { CliContext } from '../../../../src/cli/index.js';

function sink(): { stream: Writable; text: () => string } {
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      text += chunk.toString();
      done();
    },
  });
  return { stream, text: () => text };
}

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `takedown …args` in-process with captured output (no Redis: only paths that need none). */
export async function run(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliRun> {
  const out = sink();
  const err = sink();
  const io: Partial<CliContext> = { stdout: out.stream, stderr: err.stream, env, isTTY: false };
  const code = await runCli(['node', 'takedown', ...args], io);
  return { code, stdout: out.text(), stderr: err.text() };
}

export const APP_ID = '0123456789abcdef0123456789abcdef';
/** A Redis nobody listens on: commands that get past validation fail with exit 1, fast. */
export const NO_REDIS = { REDIS_URL: 'redis://127.0.0.1:1', AGORA_APP_ID: APP_ID };
