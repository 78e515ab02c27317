import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import type { BoardOptions, HookContext, IServerAdapter } from '@bull-board/api/typings/app';
import { FastifyAdapter } from '@bull-board/fastify';
import { fastifyBasicAuth } from '@fastify/basic-auth';
import type { Job, Queue } from 'bullmq';
import type { FastifyInstance } from 'fastify';
import { maskStreamKeys } from '../jobs/index.js';
import { constantTimeEqual } from './constant-time-equal.js';
import { dashboardRoutePolicy } from './dashboard-route-policy.js';
import type { OpsLogger } from './ops-logger.js';

/**
 * Bull Board for the `takedown` queue and its dead-letter queue, at /dashboard behind HTTP basic
 * auth.
 *
 * What an operator may do here, and why:
 * - `takedown-dlq` is read-only. Its jobs are DLQ entries: records that no worker processes (they
 *   sit in "waiting"). Cleaning or emptying them there would lose the record without re-running
 *   anything; `takedown dlq purge` is the way to drop one.
 * - On `takedown`, "Retry" on a failed job (and "Retry all" on the failed list) is the redrive.
 *   With `redrive` set to the producer's `redrive`, it runs exactly what `takedown dlq redrive ID`
 *   runs — a fresh job under the same id with fresh attempts, and the DLQ entry removed — instead
 *   of BullMQ's bare `job.retry()`, which would keep the used-up attempt count and leave a stale
 *   DLQ entry behind. A failed job whose DLQ entry is not written yet answers an error, as the CLI
 *   does. Completed jobs cannot be retried (a finished takedown is done).
 * - Pause and resume stay, logged with the Basic user who did them.
 * - Everything that removes, reorders or fires jobs outside the producer (add, empty, clean,
 *   remove, promote, priority/delay changes, data edits, obliterate, rate-limit and concurrency
 *   changes) is refused with the CLI command that does it safely: dashboard-route-policy.ts,
 *   where every Bull Board route is classified (an unclassified one is refused).
 * - Stream keys are credentials: job data, results and progress are shown with keys masked.
 */
export interface DashboardOptions {
  user: string;
  password: string;
  /** The `takedown` queue. */
  queue: Queue;
  /** The `takedown-dlq` queue (shown read-only). */
  dlq: Queue;
  /**
   * The producer's DLQ redrive (`producer.redrive` as is). Without it, Retry is BullMQ's own
   * `job.retry()`, which is NOT the same as `takedown dlq redrive`; always pass it in production.
   */
  redrive?: RedriveFn;
}

/** `Producer['redrive']`, structurally. */
export type RedriveFn = (
  ids: readonly string[],
) => Promise<readonly { jobId: string; status: string; message?: string }[]>;

/** A redrive the dashboard asked for did not happen; Bull Board shows the message. */
export class DashboardRedriveError extends Error {
  override readonly name = 'DashboardRedriveError';
  readonly retryable = false;
  /** Read by Bull Board's error handler as the HTTP status. */
  readonly statusCode = 409;
}

export const DASHBOARD_PATH = '/dashboard';

type AdapterOptions = NonNullable<ConstructorParameters<typeof BullMQAdapter>[1]> & {
  allowCompletedRetries?: boolean;
};

/** A BullMQ adapter whose job `retry()` runs the producer's redrive instead of BullMQ's retry. */
class RedriveAdapter extends BullMQAdapter {
  constructor(
    queue: Queue,
    options: AdapterOptions,
    private readonly redrive: RedriveFn,
  ) {
    super(queue, options);
  }

  override async getJob(id: string): Promise<Job | undefined> {
    const job = await super.getJob(id);
    if (job) this.patch(job);
    return job;
  }

  override async getJobs(...args: Parameters<BullMQAdapter['getJobs']>): Promise<Job[]> {
    const jobs = await super.getJobs(...args);
    for (const job of jobs) this.patch(job);
    return jobs;
  }

  private patch(job: Job): void {
    const jobId = job.id;
    if (jobId === undefined) return;
    const redrive = this.redrive;
    // Non-enumerable: Job.toJSON spreads own properties and must not pick this up.
    Object.defineProperty(job, 'retry', {
      enumerable: false,
      value: async (): Promise<void> => {
        const [result] = await redrive([jobId]);
        if (result?.status === 'redriven') return;
        if (result?.status === 'not-found') {
          throw new DashboardRedriveError(
            `job ${jobId} has no dead-letter entry yet (the worker's reconciler writes it shortly); try again in a minute`,
          );
        }
        throw new DashboardRedriveError(result?.message ?? `job ${jobId} could not be redriven`);
      },
    });
  }
}

/** The user of a Basic Authorization header (the dashboard's login), or undefined. */
function basicUser(header: string | undefined): string | undefined {
  const match = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(header ?? '');
  if (!match?.[1]) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? undefined : decoded.slice(0, colon);
}

export async function registerDashboard(
  app: FastifyInstance,
  options: DashboardOptions,
  logger: OpsLogger,
): Promise<void> {
  const mainOptions: AdapterOptions = {
    description: options.redrive
      ? 'Takedown jobs. Retry on a failed job redrives it, exactly as `takedown dlq redrive` does.'
      : 'Takedown jobs.',
    allowCompletedRetries: false,
  };
  const mainAdapter = options.redrive
    ? new RedriveAdapter(options.queue, mainOptions, options.redrive)
    : new BullMQAdapter(options.queue, mainOptions);
  const dlqAdapter = new BullMQAdapter(options.dlq, {
    readOnlyMode: true,
    description:
      'Dead-lettered takedowns (read-only): redrive with Retry on the failed job in `takedown`, or `takedown dlq redrive`.',
  });

  // Stream keys are credentials: job data, results and progress are shown with keys masked.
  for (const adapter of [mainAdapter, dlqAdapter]) {
    adapter.setFormatter('data', maskStreamKeys);
    adapter.setFormatter('returnValue', maskStreamKeys);
    adapter.setFormatter('progress', maskStreamKeys);
  }

  const serverAdapter = new FastifyAdapter();
  const boardOptions: BoardOptions = {
    uiConfig: { boardTitle: 'takedown' },
    handlerHooks: {
      before: (ctx: HookContext) => {
        const params = ctx.request.params;
        const policy = dashboardRoutePolicy(ctx.method, ctx.route, params);
        if (policy.kind === 'read') return undefined;
        // Who did it: the Basic user (never the password). Queue name and job id only.
        const who = {
          user: basicUser(ctx.request.headers['authorization']),
          method: ctx.method,
          route: ctx.route,
          params: maskStreamKeys(params),
        };
        if (policy.kind === 'action') {
          logger.info({ ...who, action: policy.what }, 'dashboard action');
          return undefined;
        }
        logger.warn(who, 'dashboard action refused');
        return {
          allow: false,
          status: 403,
          message: `Not allowed from the dashboard: ${policy.reason}.`,
        };
      },
    },
  };
  // @bull-board/fastify 9.10.1 pins its own copy of @bull-board/api 9.10.1, whose private class
  // fields make its types nominally different from ours (9.10.2); the adapter only needs the
  // interface, which is the same in both, so the cast is sound.
  createBullBoard({
    queues: [mainAdapter, dlqAdapter],
    serverAdapter: serverAdapter as unknown as IServerAdapter,
    options: boardOptions,
  });
  serverAdapter.setBasePath(DASHBOARD_PATH);

  await app.register(async (scope) => {
    await scope.register(fastifyBasicAuth, {
      authenticate: { realm: 'takedown dashboard' },
      // Both comparisons always run: the time taken says nothing about which part was wrong.
      validate: (user, password) => {
        const userOk = constantTimeEqual(user, options.user);
        const passwordOk = constantTimeEqual(password, options.password);
        return userOk && passwordOk
          ? Promise.resolve()
          : Promise.reject(new Error('wrong user or password'));
      },
    });
    scope.addHook('onRequest', scope.basicAuth);
    await scope.register(serverAdapter.registerPlugin(), { prefix: DASHBOARD_PATH });
  });
}
