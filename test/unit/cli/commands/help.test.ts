import { describe, expect, it } from 'vitest';
import { run } from './run-cli.js';

describe('operator commands: --help', () => {
  it.each([
    [['batch'], 'batch'],
    [['channel'], 'channel'],
    [['expire'], 'expire'],
    [['status'], 'status'],
    [['dlq'], 'dlq'],
    [['dlq', 'list'], 'dlq list'],
    [['dlq', 'show'], 'dlq show'],
    [['dlq', 'redrive'], 'dlq redrive'],
    [['dlq', 'purge'], 'dlq purge'],
    [['stats'], 'stats'],
  ])('%j --help prints usage and examples, exit 0', async (command, name) => {
    const result = await run([...command, '--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(new RegExp(`^Usage: takedown ${command.join(' ')} `));
    expect(result.stdout).toMatch(new RegExp(`Examples:\\n\\s+\\$ takedown ${name}\\b`));
    expect(result.stdout).toMatch(/--config <file>|Commands:/);
  });
});
