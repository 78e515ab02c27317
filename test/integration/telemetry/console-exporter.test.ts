import { describe, expect, it } from 'vitest';
import { redisUrl, uniquePrefix } from '../../support/isolation.js';
import { runTakedown } from '../cli/run-takedown.js';
import { APP_ID } from '../producer/producer-harness.js';

describe('OTEL_TRACES_EXPORTER=console', () => {
  it('writes spans as JSON lines on stderr and leaves a command’s --json output alone', async () => {
    const run = await runTakedown(
      ['enqueue', '--region', 'na', '--sid', 'otel-console-sid-1', '--json'],
      {
        env: {
          REDIS_URL: redisUrl(),
          TAKEDOWN_PREFIX: uniquePrefix('otel-console'),
          AGORA_APP_ID: APP_ID,
          OTEL_TRACES_EXPORTER: 'console',
        },
      },
    );
    expect(run.code, run.stderr).toBe(0);
    // stdout is exactly the command's answer: one JSON document, nothing else.
    const answer = JSON.parse(run.stdout) as { status: string };
    expect(answer.status).toBe('enqueued');
    const spans = run.stderr
      .split('\n')
      .filter((l) => l.startsWith('{"span":'))
      .map((l) => JSON.parse(l) as { span: string; traceId: string });
    expect(spans.map((s) => s.span)).toContain('takedown enqueue');
    expect(spans.every((s) => /^[0-9a-f]{32}$/.test(s.traceId))).toBe(true);
  });
});
