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
  ncsUrl?: string;
  ncsSecret?: string;
  ncsDuplicateRate?: string;
  ncsReorderMs?: string;
  ncsUnmaskedKeys?: boolean;
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
  if (flags.ncsUrl !== undefined) {
    if (!/^https?:\/\/\S+$/.test(flags.ncsUrl)) {
      throw new UsageError(
        '--ncs-url must be an http(s) URL, e.g. http://127.0.0.1:9464/v1/agora/notifications',
      );
    }
    o.ncsUrl = flags.ncsUrl;
    const secret = flags.ncsSecret ?? env.NCS_SECRET;
    if (secret === undefined)
      throw new UsageError('--ncs-url needs --ncs-secret (or NCS_SECRET) to sign the events');
    o.ncsSecret = nonEmpty('--ncs-secret', secret);
  } else if (flags.ncsSecret !== undefined) {
    throw new UsageError('--ncs-secret needs --ncs-url (where to post the events)');
  }
  if (flags.ncsDuplicateRate !== undefined) {
    o.ncsDuplicateRate = rate('--ncs-duplicate-rate', flags.ncsDuplicateRate);
  }
  if (flags.ncsReorderMs !== undefined) {
    o.ncsReorderMs = int('--ncs-reorder-ms', flags.ncsReorderMs, 0, 60_000);
  }
  if (flags.ncsUnmaskedKeys === true) o.ncsMaskKeys = false;
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
    .option(
      '--ncs-url <url>',
      'post signed Agora Notifications events (connected, disconnected, aborted) to this URL',
    )
    .option('--ncs-secret <secret>', 'secret the events are signed with (default: NCS_SECRET)')
    .option('--ncs-duplicate-rate <0..1>', 'share of events delivered twice (default 0)')
    .option(
      '--ncs-reorder-ms <ms>',
      'random delay 0..ms per event, so events can arrive out of order (default 0)',
    )
    .option('--ncs-unmasked-keys', 'send stream keys unmasked (Agora masks them: 7B***Qbs)')
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
      if (options.ncsUrl !== undefined) {
        ctx.stdout.write(`posting signed Agora notifications to ${options.ncsUrl}\n`);
      }
      await ctx.waitForSignal();
      await sim.close();
      ctx.exitCode = 0;
    });
}
