import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { Command, InvalidArgumentError } from 'commander';
import { describe, expect, it } from 'vitest';
import {
  COMMANDS,
  OperationalError,
  UsageError,
  runCli,
  type CliContext,
  type CommandFactory,
} from '../../../src/cli/index.js';
import { loadConfig } from '../../../src/config/index.js';

function sink() {
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      text += chunk.toString();
      done();
    },
  });
  return { stream, text: () => text };
}

async function run(args: string[], env: NodeJS.ProcessEnv = {}, commands?: CommandFactory[]) {
  const out = sink();
  const err = sink();
  const io: Partial<CliContext> = { stdout: out.stream, stderr: err.stream, env };
  const code = await runCli(['node', 'takedown', ...args], io, commands ?? COMMANDS);
  return { code, stdout: out.text(), stderr: err.text() };
}

/** A stand-in subcommand, as the command modules will write them. */
const probe: CommandFactory = (ctx) => {
  const cmd = new Command('probe')
    .option('--fail <kind>', 'which error to throw')
    .action(async (flags: { fail?: string }) => {
      await Promise.resolve();
      switch (flags.fail ?? '') {
        case 'config':
          loadConfig({ env: ctx.env });
          break;
        case 'usage':
          throw new UsageError('--region must be one of na, eu, ap, cn');
        case 'operational':
          throw new OperationalError('Redis unreachable at redis://127.0.0.1:6390');
        case 'invalid-argument':
          throw new InvalidArgumentError('--at is not an ISO 8601 time');
        case 'bug':
          throw new Error('boom at redis://u:pw-canary@h:1');
        default:
          ctx.stdout.write(`config file: ${ctx.env['TAKEDOWN_CONFIG'] ?? 'none'}\n`);
          ctx.exitCode = 1;
      }
    });
  cmd.command('list').action(() => undefined);
  return cmd;
};

describe('runCli', () => {
  it('prints the package version for --version and exits 0', async () => {
    const pkg = JSON.parse(
      readFileSync(new URL('../../../package.json', import.meta.url), 'utf8'),
    ) as {
      version: string;
    };
    const result = await run(['--version']);
    expect(result).toEqual({ code: 0, stdout: `${pkg.version}\n`, stderr: '' });
  });

  it('prints help with examples and the simulator command for --help and exits 0', async () => {
    const result = await run(['--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Usage: takedown');
    expect(result.stdout).toContain('simulator');
    expect(result.stdout).toContain('Examples:');
    expect(result.stderr).toBe('');
  });

  it('prints a subcommand help and exits 0', async () => {
    const result = await run(['simulator', '--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Usage: takedown simulator');
  });

  it('exits 2 on an unknown command with one line on stderr', async () => {
    const result = await run(['nope']);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe("takedown: unknown command 'nope'\n");
    expect(result.stdout).toBe('');
  });

  it('exits 2 on an unknown option, top level and on a subcommand', async () => {
    expect(await run(['--bogus'])).toMatchObject({
      code: 2,
      stderr: "takedown: unknown option '--bogus'\n",
    });
    expect((await run(['simulator', '--bogus'])).code).toBe(2);
  });

  it('exits 2 on an unknown option of a nested subcommand (settings reach every level)', async () => {
    const result = await run(['probe', 'list', '--bogus'], {}, [probe]);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe("takedown: unknown option '--bogus'\n");
  });

  it('exits 2 on a missing option argument, an invalid value and excess arguments', async () => {
    expect((await run(['simulator', '--port'])).code).toBe(2);
    const invalid = await run(['simulator', '--port', 'abc']);
    expect(invalid.code).toBe(2);
    expect(invalid.stderr).toContain('--port');
    expect((await run(['simulator', 'extra'])).code).toBe(2);
  });

  it('exits 2 with the help on stderr when no command is given', async () => {
    const result = await run([]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('Usage: takedown');
  });

  it('exits 2 on a ConfigError, naming the key, without a stack trace', async () => {
    const result = await run(['probe', '--fail', 'config'], { LOG_LEVEL: 'verbose' }, [probe]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^takedown: invalid configuration: LOG_LEVEL \(log\.level\)/);
    expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(result.stderr).not.toContain('    at ');
  });

  it('passes --config FILE to commands as TAKEDOWN_CONFIG, before or after the command', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'takedown-cli-'));
    try {
      const file = join(dir, 'bad.json');
      writeFileSync(file, JSON.stringify({ agora: { timeoutMS: 1 } }));
      const before = await run(['--config', file, 'probe', '--fail', 'config'], {}, [probe]);
      expect(before.code).toBe(2);
      expect(before.stderr).toContain('unknown key "agora.timeoutMS"');
      const after = await run(['probe', '--config', file], {}, [probe]);
      expect(after.stdout).toBe(`config file: ${file}\n`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('does not change the caller’s env object', async () => {
    const env = {};
    await run(['--config', 'x.json', 'probe'], env, [probe]);
    expect(env).toEqual({});
  });

  it('returns the exit code a command sets', async () => {
    expect((await run(['probe'], {}, [probe])).code).toBe(1);
  });

  it('exits 2 on a UsageError and 1 on an OperationalError, one line each', async () => {
    expect(await run(['probe', '--fail', 'usage'], {}, [probe])).toMatchObject({
      code: 2,
      stderr: 'takedown: --region must be one of na, eu, ap, cn\n',
    });
    expect(await run(['probe', '--fail', 'operational'], {}, [probe])).toMatchObject({
      code: 1,
      stderr: 'takedown: Redis unreachable at redis://127.0.0.1:6390\n',
    });
  });

  it('exits 2 on an InvalidArgumentError thrown by an action, printed once', async () => {
    const result = await run(['probe', '--fail', 'invalid-argument'], {}, [probe]);
    expect(result).toMatchObject({ code: 2, stderr: 'takedown: --at is not an ISO 8601 time\n' });
  });

  it('exits 1 on an unexpected error with its message, credentials masked', async () => {
    const result = await run(['probe', '--fail', 'bug'], {}, [probe]);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe('takedown: boom at redis://u:***@h:1\n');
  });
});
