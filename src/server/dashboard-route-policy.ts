/**
 * What the dashboard may do, route by route. The dashboard is an inspection surface: on
 * `takedown` it never removes, reorders or fires a job outside the producer, because each of
 * those loses or reorders takedowns with no DLQ entry (or wipes the idempotency records). Every
 * Bull Board route is listed here; a route that is not (a Bull Board upgrade that added one) is
 * refused until someone classifies it, and a test fails meanwhile.
 */

export type DashboardRoutePolicy =
  /** Reads: pages, queue and job details, logs, metrics. */
  | { kind: 'read' }
  /** A change allowed from the dashboard, logged with who made it. */
  | { kind: 'action'; what: string }
  /** Refused with this reason: what to use instead. */
  | { kind: 'refused'; reason: string };

const read = { kind: 'read' } as const;
const refused = (reason: string): DashboardRoutePolicy => ({ kind: 'refused', reason });
const action = (what: string): DashboardRoutePolicy => ({ kind: 'action', what });

/** Keyed by `<method> <Bull Board route pattern>`. */
export const DASHBOARD_ROUTE_POLICY: ReadonlyMap<string, DashboardRoutePolicy> = new Map([
  ['get /', read],
  ['get /api/redis/stats', read],
  ['get /api/queues', read],
  ['get /api/job-schedulers', read],
  ['get /api/queues/:queueName/metrics', read],
  ['get /api/queues/:queueName/default-job-options', read],
  ['get /api/queues/:queueName/workers', read],
  ['get /api/queues/:queueName/rate-limit', read],
  ['get /api/queues/:queueName/job-data-schema', read],
  ['get /api/queues/:queueName/:jobId/logs', read],
  ['get /api/queues/:queueName/:jobId/flow', read],
  ['get /api/queues/:queueName/:jobId', read],
  ['put /api/queues/pause', action('pause every queue')],
  ['put /api/queues/resume', action('resume every queue')],
  ['put /api/queues/:queueName/pause', action('pause the queue')],
  ['put /api/queues/:queueName/resume', action('resume the queue')],
  // Retry of failed jobs is the producer's redrive (see register-dashboard.ts).
  ['put /api/queues/:queueName/retry/:queueStatus', action('redrive every failed job')],
  ['put /api/queues/:queueName/:jobId/retry', action('redrive the failed job')],
  [
    'post /api/queues/:queueName/add',
    refused('add takedowns with `takedown enqueue` or POST /v1/takedowns (validated, idempotent)'),
  ],
  [
    'put /api/queues/:queueName/promote',
    refused(
      'promoting would fire every scheduled expiry and retry now; move one expiry with `takedown expire --key KEY --at TIME`',
    ),
  ],
  [
    'put /api/queues/:queueName/clean/:queueStatus',
    refused(
      'cleaning drops takedowns, idempotency records or DLQ-backed failures; drop a dead-lettered takedown with `takedown dlq purge ID`',
    ),
  ],
  [
    'put /api/queues/:queueName/concurrency',
    refused('worker concurrency is WORKER_CONCURRENCY, set where the workers run'),
  ],
  [
    'put /api/queues/:queueName/rate-limit',
    refused('Agora rate limits are AGORA_DELETE_RPS / AGORA_QUERY_RPS, enforced by the workers'),
  ],
  [
    'put /api/queues/:queueName/rate-limit/release',
    refused('Agora rate limits are AGORA_DELETE_RPS / AGORA_QUERY_RPS, enforced by the workers'),
  ],
  [
    'put /api/queues/:queueName/empty',
    refused(
      'emptying drops every waiting and delayed takedown and every scheduled expiry with no DLQ entry; cancel one expiry with `takedown expire --cancel --key KEY`',
    ),
  ],
  [
    'put /api/queues/:queueName/obliterate',
    refused('obliterating would delete the idempotency records; purge with `takedown dlq purge`'),
  ],
  [
    'put /api/queues/:queueName/job-schedulers/:schedulerId/remove',
    refused('takedown uses no job schedulers; scheduled expiries are `takedown expire`'),
  ],
  [
    'patch /api/queues/:queueName/job-schedulers/:schedulerId',
    refused('takedown uses no job schedulers; scheduled expiries are `takedown expire`'),
  ],
  [
    'put /api/queues/:queueName/job-schedulers/:schedulerId/run',
    refused('takedown uses no job schedulers; scheduled expiries are `takedown expire`'),
  ],
  [
    'put /api/queues/:queueName/:jobId/clean',
    refused(
      'removing a job can drop a takedown mid-retry; cancel an expiry with `takedown expire --cancel --key KEY`, drop a dead-lettered one with `takedown dlq purge ID`',
    ),
  ],
  [
    'put /api/queues/:queueName/:jobId/promote',
    refused(
      'promoting fires a scheduled expiry or a backed-off retry now; move an expiry with `takedown expire --key KEY --at TIME`',
    ),
  ],
  [
    'patch /api/queues/:queueName/:jobId/update-data',
    refused('job data holds the step cursor; it is never edited by hand'),
  ],
  [
    'patch /api/queues/:queueName/:jobId/delay',
    refused('move a scheduled expiry with `takedown expire --key KEY --at TIME`'),
  ],
  [
    'patch /api/queues/:queueName/:jobId/priority',
    refused(
      'priorities come from the request (urgent > normal > bulk); enqueue an urgent takedown with `takedown enqueue --priority urgent`',
    ),
  ],
  [
    'put /api/queues/:queueName/:jobId/remove-unprocessed-children',
    refused('takedowns have no child jobs'),
  ],
]);

const UNCLASSIFIED: DashboardRoutePolicy = refused(
  'this dashboard route is not classified as safe for takedowns (a newer Bull Board?); use the `takedown` CLI',
);

/** The policy of one request; an unlisted route is refused. */
export function dashboardRoutePolicy(
  method: string,
  route: string,
  params: Readonly<Record<string, unknown>> = {},
): DashboardRoutePolicy {
  const policy = DASHBOARD_ROUTE_POLICY.get(`${method.toLowerCase()} ${route}`) ?? UNCLASSIFIED;
  // Retry-all of completed jobs would run finished takedowns again.
  if (route.endsWith('/retry/:queueStatus') && params['queueStatus'] !== 'failed') {
    return refused('only failed takedowns can be retried (redriven); a completed one is done');
  }
  return policy;
}
