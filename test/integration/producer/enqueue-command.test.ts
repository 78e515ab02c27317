import { Writable } from 'node:stream';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { enqueueCommand } from '../../../src/cli/commands/enqueue.js';
import { runCli } from '../../../src/cli/main.js';
import { TAKEDOWN_QUEUE, takedownJobId } from '../../../src/jobs/index.js';
import { redisUrl, uniquePrefix } from '../../support/isolation.js';
import { freePort } from '../../support/redis-server.js';
import { APP_ID } from './producer-harness.js';

function sink(): { stream: Writable; text: () => string } {
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      text += chunk.toString();
      callback();
    },
  });
  return { stream, text: () => text };
}

async function run(args: string[], env: Record<string, string>) {
  const out = sink();
  const err = sink();
  const code = await runCli(
    ['node', 'takedown', ...args],
    { stdout: out.stream, stderr: err.stream, env, isTTY: false },
    [enqueueCommand],
  );
  return { code, stdout: out.text(), stderr: err.text() };
}

describe('takedown enqueue', () => {
  const prefix = uniquePrefix('cli-enq');
  const env = { REDIS_URL: redisUrl(), TAKEDOWN_PREFIX: prefix, AGORA_APP_ID: APP_ID };
  afterEach(async () => {
    const redis = new Redis(redisUrl());
    const queue = new Queue(TAKEDOWN_QUEUE, { connection: redis, prefix });
    await queue.obliterate({ force: true });
    await queue.close();
    await redis.quit();
  });

  it('--json prints exactly jobId, status, state and priority; a repeat is a duplicate (merged: []) with exit 0', async () => {
    const args = [
      'enqueue',
      '--region',
      'na',
      '--sid',
      'cli-sid-1',
      '--priority',
      'urgent',
      '--json',
    ];
    const first = await run(args, env);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    const jobId = takedownJobId({ appId: APP_ID, sid: 'cli-sid-1' });
    expect(JSON.parse(first.stdout)).toEqual({
      jobId,
      status: 'enqueued',
      state: 'waiting',
      priority: 'urgent',
    });

    const again = await run(args, env);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toEqual({
      jobId,
      status: 'duplicate',
      state: 'waiting',
      priority: 'urgent',
      merged: [],
    });
  });

  it('prints a human line without --json', async () => {
    const r = await run(
      ['enqueue', '--region', 'eu', '--key', 'cli-key', '--reason', 'policy 4.2'],
      env,
    );
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      `enqueued ${takedownJobId({ appId: APP_ID, streamKey: 'cli-key' })} (waiting)\n`,
    );
  });

  it('invalid input exits 2 naming the flags, and enqueues nothing', async () => {
    const r = await run(['enqueue', '--region', 'mars', '--priority', 'asap', '--json'], env);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('--region');
    expect(r.stderr).toContain('--priority');
    expect(r.stderr).toContain('--sid');
    const redis = new Redis(redisUrl());
    const queue = new Queue(TAKEDOWN_QUEUE, { connection: redis, prefix });
    expect(await queue.count()).toBe(0);
    await queue.close();
    await redis.quit();
  });

  it('Redis unreachable exits 1 with a clear message and no password', async () => {
    const port = await freePort();
    const r = await run(['enqueue', '--region', 'na', '--sid', 'x1'], {
      ...env,
      REDIS_URL: `redis://:pa55word@127.0.0.1:${port}`,
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('Redis unreachable at');
    expect(r.stderr).toContain(`127.0.0.1:${port}`);
    expect(r.stderr).not.toContain('pa55word');
  });

  it('invalid input is exit 2 even when Redis is down', async () => {
    const port = await freePort();
    const r = await run(['enqueue', '--sid', 'x1'], {
      ...env,
      REDIS_URL: `redis://127.0.0.1:${port}`,
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--region');
  });
});
