import type { Queue } from 'bullmq';
import { loadConfig } from '../../../src/config/index.js';
import type { DeadLetterEntry, TakedownJobData } from '../../../src/jobs/index.js';
import { createLogger } from '../../../src/logging/index.js';
import type { Producer } from '../../../src/producer/index.js';
import type { Simulator, SimulatorAdmin } from '../../../src/simulator/index.js';
import type { Telemetry } from '../../../src/telemetry/index.js';
import { runWorker } from '../../../src/worker/index.js';
import { createQueueWorld } from '../../support/queue-world.js';
import { waitFor } from '../../support/wait-for.js';

export const CUSTOMER_ID = 'ops-customer';
export const CUSTOMER_SECRET = 'ops-secret-0123456789';
export const APP_ID = 'a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5';

/** A parsed JSON log line of the in-process worker. */
export interface LogLine {
  level: number;
  msg?: string;
  [key: string]: unknown;
}

export interface InProcessWorker {
  /** Base URL of the worker's ops server (HTTP_PORT=0 picks a free port). */
  opsUrl: string;
  logs: LogLine[];
  /** Exit codes runWorker asked the process to exit with at once (second signal, stuck close). */
  hardExits: number[];
  /** Starts the graceful shutdown (as SIGTERM would); does not wait for it. */
  signal(): void;
  /** runWorker's result: the exit code. */
  readonly exited: Promise<number>;
  /** signal() and wait for the exit code. Safe to call twice. */
  stop(): Promise<number>;
}

export interface OpsWorld {
  prefix: string;
  sim: Simulator;
  admin: SimulatorAdmin;
  producer: Producer;
  queue: Queue<TakedownJobData>;
  dlq: Queue<DeadLetterEntry>;
  /** Env for `loadConfig`: this world's Redis prefix and simulator, fast test timings. */
  env(extra?: Record<string, string>): Record<string, string>;
  /** Runs `runWorker` in this process and waits for its "worker ready" line. */
  startWorker(
    extra?: Record<string, string>,
    options?: { telemetry?: Telemetry },
  ): Promise<InProcessWorker>;
  close(): Promise<void>;
}

/** One world per test: its own prefix and simulator (rate limits off); workers on demand. */
export async function createOpsWorld(): Promise<OpsWorld> {
  const world = await createQueueWorld({
    prefixTag: 'ops',
    customerId: CUSTOMER_ID,
    customerSecret: CUSTOMER_SECRET,
    appId: APP_ID,
    attempts: 3,
  });
  const { prefix, redisUrl: url, sim } = world;
  const workers: InProcessWorker[] = [];

  const env = (extra: Record<string, string> = {}): Record<string, string> => ({
    REDIS_URL: url,
    TAKEDOWN_PREFIX: prefix,
    AGORA_BASE_URL: sim.url,
    AGORA_APP_ID: APP_ID,
    AGORA_CUSTOMER_ID: CUSTOMER_ID,
    AGORA_CUSTOMER_SECRET: CUSTOMER_SECRET,
    AGORA_TIMEOUT_MS: '5000',
    AGORA_DELETE_RPS: '100000',
    AGORA_QUERY_RPS: '100000',
    AGORA_CREATE_RPS: '100000',
    HTTP_HOST: '127.0.0.1',
    HTTP_PORT: '0',
    TAKEDOWN_ATTEMPTS: '3',
    TAKEDOWN_BACKOFF_MS: '50',
    TAKEDOWN_BACKOFF_MAX_MS: '200',
    TAKEDOWN_VERIFY_DELAY_MS: '50',
    WORKER_SHUTDOWN_TIMEOUT_MS: '10000',
    LOG_LEVEL: 'debug',
    ...extra,
  });

  const startWorker = async (
    extra: Record<string, string> = {},
    options: { telemetry?: Telemetry } = {},
  ): Promise<InProcessWorker> => {
    const logs: LogLine[] = [];
    const hardExits: number[] = [];
    const config = loadConfig({ env: env(extra) });
    // The ops URL is read from the "worker ready" line (info).
    if (!['trace', 'debug', 'info'].includes(config.log.level)) {
      throw new Error('startWorker needs LOG_LEVEL info or lower');
    }
    const logger = createLogger({
      level: config.log.level,
      destination: {
        write: (line: string) => void logs.push(JSON.parse(line) as LogLine),
      },
    });
    let fire: ((signal: NodeJS.Signals) => void) | undefined;
    const firstSignal = new Promise<NodeJS.Signals>((resolve) => {
      fire = resolve;
    });
    let asked = 0;
    const exited = runWorker({
      config,
      logger,
      ...(options.telemetry === undefined ? {} : { telemetry: options.telemetry }),
      // The first wait is the shutdown signal; a second signal never comes.
      ctx: {
        waitForSignal: () => (asked++ === 0 ? firstSignal : new Promise<NodeJS.Signals>(() => {})),
      },
      // Never the test process: a hard exit is recorded (and fails the tests that check it).
      exit: ((code: number) => {
        hardExits.push(code);
      }) as (code: number) => never,
    });
    // A start failure rejects `exited` before any ready line; surface it from waitFor.
    let startError: unknown;
    exited.catch((err: unknown) => {
      startError = err;
    });
    const ready = await waitFor(
      () => {
        if (startError !== undefined) throw startError as Error;
        return logs.find((l) => l.msg === 'worker ready');
      },
      { timeoutMs: 15_000, what: '"worker ready"' },
    ).catch(async (err: unknown) => {
      // A hung start: signal it so nothing outlives the test.
      fire?.('SIGTERM');
      await exited.catch(() => undefined);
      throw err;
    });
    const ops = ready['ops'] as { url: string };
    let stopping: Promise<number> | undefined;
    const w: InProcessWorker = {
      opsUrl: ops.url,
      logs,
      hardExits,
      exited,
      signal: () => fire?.('SIGTERM'),
      stop: () => {
        fire?.('SIGTERM');
        return (stopping ??= exited);
      },
    };
    workers.push(w);
    return w;
  };

  return {
    prefix,
    sim,
    admin: world.admin,
    producer: world.producer,
    queue: world.queue,
    dlq: world.dlq,
    env,
    startWorker,
    close: async () => {
      await Promise.allSettled(workers.map((w) => w.stop()));
      await world.close();
    },
  };
}

/** Resolves when the main queue has `completed` completed and `failed` failed jobs. */
export async function waitForCounts(
  queue: Queue,
  expected: { completed: number; failed?: number },
  timeoutMs = 30_000,
): Promise<void> {
  await waitFor(
    async () => {
      const counts = await queue.getJobCounts('completed', 'failed');
      return (
        counts['completed'] === expected.completed &&
        (counts['failed'] ?? 0) === (expected.failed ?? 0)
      );
    },
    { timeoutMs, intervalMs: 50, what: `job counts ${JSON.stringify(expected)}` },
  );
}
