import { createServer } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { LoggerLike } from '../../../src/agora/index.js';
import { RedisUnavailableError, checkRedis } from '../../../src/worker/index.js';
import { freePort } from '../../support/redis-server.js';
import { redisUrl } from '../../support/isolation.js';

interface Logged {
  level: string;
  obj: object;
  msg: string | undefined;
}

function recordingLogger(lines: Logged[]): LoggerLike {
  const at =
    (level: string) =>
    (obj: object, msg?: string): void => {
      lines.push({ level, obj, msg });
    };
  const logger: LoggerLike = {
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    child: () => logger,
  };
  return logger;
}

function bulk(text: string): string {
  return `$${Buffer.byteLength(text)}\r\n${text}\r\n`;
}

/**
 * `config` is the maxmemory-policy to answer, or 'refused' for a server that disables CONFIG.
 * A tiny RESP server standing in for a managed Redis: answers PING and INFO, and CONFIG as told.
 * (The real Redis of the test run must stay `noeviction` for every other test.)
 */
async function fakeRedis(config: string): Promise<{ url: string; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    let buffer = '';
    socket.on('data', (chunk) => {
      buffer += chunk.toString('utf8');
      // Commands arrive as RESP arrays; the first bulk string is the command name.
      for (;;) {
        const match = /^\*(\d+)\r\n/.exec(buffer);
        if (!match) return;
        const parts: string[] = [];
        let rest = buffer.slice(match[0].length);
        for (let i = 0; i < Number(match[1]); i++) {
          const header = /^\$(\d+)\r\n/.exec(rest);
          if (!header || rest.length < header[0].length + Number(header[1]) + 2) return;
          parts.push(rest.slice(header[0].length, header[0].length + Number(header[1])));
          rest = rest.slice(header[0].length + Number(header[1]) + 2);
        }
        buffer = rest;
        const command = (parts[0] ?? '').toUpperCase();
        if (command === 'PING') socket.write('+PONG\r\n');
        else if (command === 'INFO') socket.write(bulk('# Server\r\nloading:0\r\n'));
        else if (command === 'CONFIG' && config === 'refused')
          socket.write("-ERR unknown command 'CONFIG'\r\n");
        else if (command === 'CONFIG') {
          socket.write(`*2\r\n${bulk('maxmemory-policy')}${bulk(config)}`);
        } else socket.write('+OK\r\n');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `redis://127.0.0.1:${port}`,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe('start-up Redis check', () => {
  const closers: (() => Promise<void>)[] = [];
  afterEach(async () => {
    await Promise.all(closers.splice(0).map((c) => c()));
  });

  it('accepts a noeviction Redis without a warning', async () => {
    const lines: Logged[] = [];
    expect(await checkRedis({ redis: redisUrl(), logger: recordingLogger(lines) })).toEqual({
      maxmemoryPolicy: 'noeviction',
    });
    expect(lines.filter((l) => l.level === 'warn')).toEqual([]);
  });

  it('warns when maxmemory-policy is not noeviction', async () => {
    const fake = await fakeRedis('allkeys-lru');
    closers.push(() => fake.close());
    const lines: Logged[] = [];
    expect(await checkRedis({ redis: fake.url, logger: recordingLogger(lines) })).toEqual({
      maxmemoryPolicy: 'allkeys-lru',
    });
    const warnings = lines.filter((l) => l.level === 'warn');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.msg).toMatch(/not noeviction/);
    expect(warnings[0]?.obj).toEqual({ maxmemoryPolicy: 'allkeys-lru' });
  });

  it('warns that the policy could not be checked when CONFIG is disabled (managed Redis)', async () => {
    const fake = await fakeRedis('refused');
    closers.push(() => fake.close());
    const lines: Logged[] = [];
    expect(await checkRedis({ redis: fake.url, logger: recordingLogger(lines) })).toEqual({
      maxmemoryPolicy: undefined,
    });
    expect(lines.filter((l) => l.level === 'warn').map((l) => l.msg)).toEqual([
      expect.stringMatching(/could not check Redis maxmemory-policy/),
    ]);
  });

  it('fails fast with RedisUnavailableError, the password masked, when nothing listens', async () => {
    const port = await freePort();
    const started = performance.now();
    const err = await checkRedis({
      redis: `redis://user:hunter22@127.0.0.1:${port}`,
      logger: recordingLogger([]),
    }).catch((e: unknown) => e);
    expect(performance.now() - started).toBeLessThan(2000);
    expect(err).toBeInstanceOf(RedisUnavailableError);
    expect((err as Error).message).toMatch(
      /^Redis unreachable at redis:\/\/user:\*\*\*@127\.0\.0\.1:\d+: .*ECONNREFUSED/,
    );
    expect((err as Error).message).not.toContain('hunter22');
  });
});
