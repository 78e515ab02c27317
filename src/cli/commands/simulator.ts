import { Command } from 'commander';
import { createSimulator } from '../../simulator/index.js';
import type { SimulatorOptions } from '../../simulator/index.js';
import { OperationalError, UsageError } from '../context.js';
import type { CliContext } from '../context.js';

interface RawSimulatorFlags {
  port: string;
  host: string;
  customerId?: string;
  customerSecret?: string;
  createRps?: string;
  deleteRps?: string;
  queryRps?: string;
  latencyMs?: string;
  errorRate?: string;
  errorStatus?: string;
  timeoutRate?: string;
  reconnectDelayMs?: string;
  sidQueryShape?: string;
}

function int(flag: string, raw: string, min: number, max: number): number {
  const n = /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new UsageError(`${flag} must be an integer ${min}..${max}`);
  }
  return n;
}

function rate(flag: string, raw: string): number {
  const n = /^(\d+(\.\d*)?|\.\d+)$/.test(raw) ? Number(raw) : Number.NaN;
  if (!(n >= 0 && n <= 1)) throw new UsageError(`${flag} must be a number 0..1`);
  return n;
}

function nonEmpty(flag: string, raw: string): string {
  if (raw.trim() === '') throw new UsageError(`${flag} must not be empty`);
  return raw;
}

/** Flags → simulator options; exported for tests. Credentials fall back to AGORA_CUSTOMER_*. */
export function toSimulatorOptions(
  flags: RawSimulatorFlags,
  env: NodeJS.ProcessEnv,
): SimulatorOptions {
  const o: SimulatorOptions = {
    port: int('--port', flags.port, 0, 65535),
    host: nonEmpty('--host', flags.host),
  };
  const customerId = flags.customerId ?? env.AGORA_CUSTOMER_ID;
  if (customerId !== undefined) o.customerId = nonEmpty('--customer-id', customerId);
  const customerSecret = flags.customerSecret ?? env.AGORA_CUSTOMER_SECRET;
  if (customerSecret !== undefined)
    o.customerSecret = nonEmpty('--customer-secret', customerSecret);
  if (flags.createRps !== undefined)
    o.createRps = int('--create-rps', flags.createRps, 0, 1_000_000);
  if (flags.deleteRps !== undefined)
    o.deleteRps = int('--delete-rps', flags.deleteRps, 0, 1_000_000);
  if (flags.queryRps !== undefined) o.queryRps = int('--query-rps', flags.queryRps, 0, 1_000_000);
  if (flags.latencyMs !== undefined) o.latencyMs = int('--latency-ms', flags.latencyMs, 0, 600_000);
  if (flags.errorRate !== undefined) o.errorRate = rate('--error-rate', flags.errorRate);
  if (flags.errorStatus !== undefined) {
    o.errorStatus = int('--error-status', flags.errorStatus, 400, 599);
  }
  if (flags.timeoutRate !== undefined) o.timeoutRate = rate('--timeout-rate', flags.timeoutRate);
  if (flags.reconnectDelayMs !== undefined) {
    o.reconnectDelayMs = int('--reconnect-delay-ms', flags.reconnectDelayMs, 0, 3_600_000);
  }
  if (flags.sidQueryShape !== undefined) {
    if (flags.sidQueryShape !== 'array' && flags.sidQueryShape !== 'object') {
      throw new UsageError("--sid-query-shape must be 'array' or 'object'");
    }
    o.sidQueryShape = flags.sidQueryShape;
  }
  return o;
}

/** `takedown simulator`: serves the local Media Gateway until SIGINT/SIGTERM. */
export function simulatorCommand(ctx: CliContext): Command {
  return new Command('simulator')
    .description(
      'Serve a local Agora Media Gateway REST API (in-memory) for tests, the demo and benchmarks. ' +
        'Credentials default to AGORA_CUSTOMER_ID / AGORA_CUSTOMER_SECRET, else demo-customer / demo-secret.',
    )
    .option('--port <port>', 'port to listen on (0 = any free port)', '8787')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--customer-id <id>', 'accepted RESTful customer ID')
    .option('--customer-secret <secret>', 'accepted RESTful customer secret')
    .option('--create-rps <n>', 'create calls per second per App ID (0 = unlimited; default 50)')
    .option('--delete-rps <n>', 'delete calls per second per App ID (0 = unlimited; default 50)')
    .option('--query-rps <n>', 'query calls per second per App ID (0 = unlimited; default 100)')
    .option('--latency-ms <ms>', 'delay added before every API answer (default 0)')
    .option('--error-rate <0..1>', 'share of API calls answered with --error-status (default 0)')
    .option('--error-status <status>', 'status of injected errors, 400..599 (default 503)')
    .option('--timeout-rate <0..1>', 'share of API calls never answered (default 0)')
    .option(
      '--reconnect-delay-ms <ms>',
      'encoder reconnect delay after a force-disconnect (default 500)',
    )
    .option(
      '--sid-query-shape <shape>',
      "'array' or 'object' for GET online-streams/{sid} (default array)",
    )
    .action(async (flags: RawSimulatorFlags) => {
      const options = toSimulatorOptions(flags, ctx.env);
      let sim;
      try {
        sim = await createSimulator(options);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
        throw new OperationalError(
          `simulator cannot listen on ${options.host ?? ''}:${String(options.port)}: ${code}`,
          { cause: err },
        );
      }
      ctx.stdout.write(`simulator listening on ${sim.url}\n`);
      await ctx.waitForSignal();
      await sim.close();
      ctx.exitCode = 0;
    });
}
