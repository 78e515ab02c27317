import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { simulatorCommand } from '../../../src/cli/commands/simulator.js';
import type { CliContext } from '../../../src/cli/context.js';
import { UsageError } from '../../../src/cli/context.js';
import { BASIC } from './sim-http.js';

function fakeContext(env: NodeJS.ProcessEnv = {}) {
  const stdout = new PassThrough();
  let out = '';
  stdout.on('data', (c: Buffer) => (out += c.toString()));
  let signal!: (s: NodeJS.Signals) => void;
  const signalled = new Promise<NodeJS.Signals>((resolve) => (signal = resolve));
  const ctx: CliContext = {
    stdout,
    stderr: new PassThrough(),
    env,
    isTTY: false,
    exitCode: -1,
    waitForSignal: () => signalled,
  };
  return { ctx, output: () => out, signal };
}

async function waitForOutput(read: () => string): Promise<string> {
  for (let i = 0; i < 200; i += 1) {
    const m = /simulator listening on (\S+)/.exec(read());
    if (m?.[1] !== undefined) return m[1];
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`no listening line in: ${read()}`);
}

describe('takedown simulator command', () => {
  it('serves the API until a signal, then closes and resolves', async () => {
    const { ctx, output, signal } = fakeContext();
    const run = simulatorCommand(ctx).parseAsync(
      ['--port', '0', '--delete-rps', '1', '--sid-query-shape', 'object'],
      { from: 'user' },
    );
    const url = await waitForOutput(output);
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const limits = (await (await fetch(`${url}/_sim/limits`)).json()) as Record<string, number>;
    expect(limits).toEqual({ createRps: 50, deleteRps: 1, queryRps: 100 });
    const config = (await (await fetch(`${url}/_sim/config`)).json()) as Record<string, unknown>;
    expect(config.sidQueryShape).toBe('object');
    const res = await fetch(`${url}/na/v1/projects/a/rtls/ingress/online-streams`, {
      headers: { authorization: BASIC },
    });
    expect(res.status).toBe(200);

    signal('SIGTERM');
    await run;
    expect(ctx.exitCode).toBe(0);
    await expect(fetch(`${url}/_sim/stats`)).rejects.toThrow();
  });

  it('takes credentials from AGORA_CUSTOMER_ID / AGORA_CUSTOMER_SECRET and never prints the secret', async () => {
    const { ctx, output, signal } = fakeContext({
      AGORA_CUSTOMER_ID: 'env-id',
      AGORA_CUSTOMER_SECRET: 'env-secret-value',
    });
    const run = simulatorCommand(ctx).parseAsync(['--port', '0'], { from: 'user' });
    const url = await waitForOutput(output);
    const path = '/na/v1/projects/a/rtls/ingress/online-streams';
    const demo = await fetch(`${url}${path}`, { headers: { authorization: BASIC } });
    expect(demo.status).toBe(401);
    const ok = await fetch(`${url}${path}`, {
      headers: {
        authorization: `Basic ${Buffer.from('env-id:env-secret-value').toString('base64')}`,
      },
    });
    expect(ok.status).toBe(200);
    signal('SIGINT');
    await run;
    expect(output()).not.toContain('env-secret-value');
  });

  it.each([
    [['--port', '70000'], '--port must be an integer 0..65535'],
    [['--port', 'abc'], '--port must be an integer 0..65535'],
    [['--delete-rps', '-1'], '--delete-rps must be an integer 0..1000000'],
    [['--query-rps', '1.5'], '--query-rps must be an integer 0..1000000'],
    [['--error-rate', '1.5'], '--error-rate must be a number 0..1'],
    [['--timeout-rate', 'x'], '--timeout-rate must be a number 0..1'],
    [['--error-status', '200'], '--error-status must be an integer 400..599'],
    [['--latency-ms', '-5'], '--latency-ms must be an integer 0..600000'],
    [['--reconnect-delay-ms', '1e3'], '--reconnect-delay-ms must be an integer 0..3600000'],
    [['--sid-query-shape', 'list'], "--sid-query-shape must be 'array' or 'object'"],
    [['--customer-secret', ''], '--customer-secret must not be empty'],
  ])('rejects %j with a UsageError', async (args, message) => {
    const { ctx } = fakeContext();
    const cmd = simulatorCommand(ctx).exitOverride();
    const err: unknown = await cmd.parseAsync(args, { from: 'user' }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message).toBe(message);
  });
});
