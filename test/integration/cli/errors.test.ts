import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../../support/redis-server.js';
import { APP_ID } from '../producer/producer-harness.js';
import { runTakedown } from './run-takedown.js';

const dir = mkdtempSync(join(tmpdir(), 'takedown-cli-errors-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const csv = join(dir, 'ok.csv');
writeFileSync(csv, 'sid,region\nerr-sid-1,na\n');

describe('takedown: usage errors and Redis down (built binary)', () => {
  it('bad arguments exit 2 with a message naming the option, before Redis is needed', async () => {
    // Nothing listens on REDIS_URL: a command that got past its argument checks would exit 1.
    const env = { REDIS_URL: `redis://127.0.0.1:${await freePort()}`, AGORA_APP_ID: APP_ID };
    // A few through the real binary (the full set runs in-process in test/unit/cli/commands).
    const cases: [string[], RegExp][] = [
      [['batch'], /missing required argument 'file'/],
      [['batch', csv, '--bogus'], /unknown option '--bogus'/],
      [['batch', join(dir, 'missing.csv')], /missing\.csv: no such file/],
      [
        ['expire', '--region', 'na', '--key', 'k', '--at', '2001-01-01T00:00:00Z'],
        /--at must be in the future/,
      ],
      [['status', '--sid', 's', '--key', 'k'], /only one of/],
      [
        ['enqueue', '--region', 'na', '--sid', 's', '--extra-regions', 'eu,us'],
        /invalid takedown: --extra-regions: extraRegions must hold regions, each one of na, eu, ap, cn/,
      ],
      [['stats', '--config', join(dir, 'nope.json')], /nope\.json/],
      [['frobnicate'], /unknown command 'frobnicate'/],
    ];
    const runs = await Promise.all(cases.map(([args]) => runTakedown(args, { env })));
    runs.forEach((run, i) => {
      const [args, message] = cases[i] as [string[], RegExp];
      expect({ args, code: run.code }).toEqual({ args, code: 2 });
      expect(run.stderr, args.join(' ')).toMatch(message);
      expect(run.stdout, args.join(' ')).toBe('');
    });
  });

  it('Redis down: exit 1 quickly with a message, the password masked', async () => {
    const port = await freePort(); // closed: nothing listens
    const env = { REDIS_URL: `redis://:hunter2-canary@127.0.0.1:${port}`, AGORA_APP_ID: APP_ID };
    const commands = [
      ['batch', csv, '--json'],
      ['status', '--sid', 's1', '--json'],
      ['dlq', 'list', '--json'],
    ];
    const runs = await Promise.all(
      commands.map((args) => runTakedown(args, { env, timeoutMs: 20_000 })),
    );
    runs.forEach((run, i) => {
      const args = (commands[i] as string[]).join(' ');
      expect(run.code, `${args}: ${run.stderr}`).toBe(1);
      expect(run.signal).toBeNull(); // exited by itself, not killed by the timeout
      expect(run.stderr, args).toMatch(
        new RegExp(`Redis unreachable at redis://:\\*\\*\\*@127\\.0\\.0\\.1:${port}`),
      );
      expect(run.stderr + run.stdout, args).not.toMatch(/hunter2/);
      expect(run.stdout, args).toBe('');
    });
  });
});
