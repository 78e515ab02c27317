import fastifySwagger from '@fastify/swagger';
import { fastify } from 'fastify';
import type { FastifyError, FastifyInstance } from 'fastify';
import { registerDashboard, DASHBOARD_PATH } from './register-dashboard.js';
import type { DashboardOptions } from './register-dashboard.js';
import { registerIntakeRoutes } from './intake-routes.js';
import type { IntakeOptions } from './intake-routes.js';
import { registerNotificationRoutes } from './notification-routes.js';
import type { NotificationIntakeOptions } from './notification-routes.js';
import type { OpsLogger } from './ops-logger.js';
import type { RequestTracer } from '../telemetry/index.js';
import { traceV1Routes } from './trace-v1-routes.js';

/**
 * The ops HTTP server of a worker process:
 *
 *   GET /healthz   200 {status:'ok'} while the process runs (liveness)
 *   GET /readyz    200 {status:'ready'} | 503 {status:'not-ready', reason} (readiness: Redis + worker)
 *   GET /metrics   Prometheus text
 *   /v1/...        HTTP intake, only when intake tokens are configured (see intake-routes.ts)
 *   POST /v1/agora/notifications   Agora NCS events, only when NCS_SECRET is set (notification-routes.ts)
 *   /dashboard     Bull Board behind basic auth, only when user and password are set
 *
 * Fastify's own request logging is off: it would log every scrape, and a logger that is handed
 * requests is one step away from logging an Authorization header. One line per response is
 * written here instead (method, path without query, status, duration) — never headers or bodies.
 */

export interface Readiness {
  ready: boolean;
  reason?: string;
}

/** What /metrics needs; a prom-client `Registry` satisfies it. */
export interface MetricsRegistryLike {
  readonly contentType: string;
  metrics(): Promise<string>;
}

export interface OpsServerOptions {
  host: string;
  /** 0 picks a free port (tests); `url` tells which. */
  port: number;
  logger: OpsLogger;
  /** `createMetrics()`'s result, or anything with a prom-client registry. */
  metrics: { registry: MetricsRegistryLike };
  /** Readiness check; must not throw, but a throw or a hang counts as not ready. */
  isReady: () => Promise<Readiness>;
  /** How long /readyz waits for `isReady`. @defaultValue 3000 */
  readyTimeoutMs?: number;
  /** HTTP intake; mounted only when `tokens` has at least one non-empty token. */
  intake?: IntakeOptions;
  /** Bull Board; mounted only when user and password are both non-empty. */
  dashboard?: DashboardOptions;
  /** Starts a trace per /v1 request (src/telemetry); unset when tracing is off. */
  traceRequest?: RequestTracer;
  /** POST /v1/agora/notifications; mounted only when the NCS secret is non-empty. */
  notifications?: NotificationIntakeOptions;
}

export interface OpsServer {
  /** Base URL the server listens on, e.g. http://127.0.0.1:9464 */
  readonly url: string;
  /** Which optional parts are mounted. */
  readonly mounted: { intake: boolean; dashboard: boolean; notifications: boolean };
  /** Every route registered (method and URL pattern), e.g. to check the OpenAPI document. */
  readonly routes: readonly { method: string; url: string }[];
  /** Stops accepting connections and waits for in-flight requests. */
  close(): Promise<void>;
}

const NO_STORE = 'no-store';

function errorCode(status: number): string {
  switch (status) {
    case 400:
      return 'invalid-request';
    case 401:
      return 'unauthorized';
    case 404:
      return 'not-found';
    case 413:
      return 'payload-too-large';
    case 415:
      return 'unsupported-media-type';
    case 503:
      return 'unavailable';
    default:
      return status >= 500 ? 'internal' : 'bad-request';
  }
}

async function checkReadiness(
  isReady: () => Promise<Readiness>,
  timeoutMs: number,
): Promise<Readiness> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<Readiness>((resolve) => {
    timer = setTimeout(
      () =>
        resolve({ ready: false, reason: `readiness check did not answer within ${timeoutMs} ms` }),
      timeoutMs,
    );
  });
  try {
    return await Promise.race([isReady(), timeout]);
  } catch (err) {
    return {
      ready: false,
      reason: `readiness check failed: ${err instanceof Error ? err.message : String(err)}`,
    };
  } finally {
    clearTimeout(timer);
  }
}

function formatUrl(
  address: ReturnType<FastifyInstance['server']['address']>,
  fallbackHost: string,
): string {
  if (address === null || typeof address === 'string') return `http://${fallbackHost}`;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return `http://${host}:${address.port}`;
}

const OPENAPI_INFO = {
  openapi: '3.1.0',
  info: {
    title: 'takedown HTTP intake',
    version: '1.0.0',
    description:
      'Hand stream takedowns to the takedown worker: revoke the key, force-disconnect the session, verify. Bearer token from INTAKE_TOKENS.',
  },
  components: {
    securitySchemes: { bearerAuth: { type: 'http' as const, scheme: 'bearer' } },
  },
  security: [{ bearerAuth: [] }],
};

export async function createOpsServer(options: OpsServerOptions): Promise<OpsServer> {
  const { logger } = options;
  const readyTimeoutMs = options.readyTimeoutMs ?? 3000;
  const app = fastify({
    // No fastify logger at all (so no request logging): see the header comment.
    logger: false,
    // Anything not under a route with its own limit (the intake sets one) is tiny.
    bodyLimit: 64 * 1024,
    requestTimeout: 30_000,
    return503OnClosing: true,
    // The intake's schemas validate exactly what they say: no coercion (a number is not a
    // SID), nothing silently removed, and every violation reported at once.
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: true } },
  });

  const routes: { method: string; url: string }[] = [];
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) routes.push({ method, url: route.url });
  });
  // Before any route is added: the hook wraps each /v1 handler as it is registered.
  if (options.traceRequest !== undefined) traceV1Routes(app, options.traceRequest);

  app.addHook('onResponse', (req, reply, done) => {
    const path = req.url.split('?', 1)[0] ?? req.url;
    const line = {
      method: req.method,
      path,
      status: reply.statusCode,
      durationMs: Math.round(reply.elapsedTime),
    };
    if (reply.statusCode >= 500) logger.error(line, 'ops http request');
    else if (path.startsWith('/v1/') || reply.statusCode === 401)
      logger.info(line, 'ops http request');
    else logger.debug(line, 'ops http request');
    done();
  });

  app.setErrorHandler((err: FastifyError, req, reply) => {
    const status =
      typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode <= 599
        ? err.statusCode
        : 500;
    if (status >= 500)
      logger.error({ err, method: req.method, path: req.url.split('?', 1)[0] }, 'ops http error');
    let message = err.message;
    if (status === 413)
      message = `the request body is larger than the limit of ${req.routeOptions.bodyLimit} bytes`;
    else if (status >= 500) message = 'internal error; see the worker log';
    const { fieldErrors } = err as { fieldErrors?: unknown };
    return reply.code(status).send({
      error: errorCode(status),
      message,
      ...(fieldErrors === undefined ? {} : { fieldErrors }),
    });
  });

  app.setNotFoundHandler((req, reply) =>
    reply
      .code(404)
      .send({ error: 'not-found', message: `no route ${req.method} ${req.url.split('?', 1)[0]}` }),
  );

  app.get('/healthz', (_req, reply) =>
    reply.header('cache-control', NO_STORE).send({ status: 'ok' }),
  );

  app.get('/readyz', async (_req, reply) => {
    const readiness = await checkReadiness(options.isReady, readyTimeoutMs);
    reply.header('cache-control', NO_STORE);
    if (readiness.ready) return reply.code(200).send({ status: 'ready' });
    return reply.code(503).send({ status: 'not-ready', reason: readiness.reason ?? 'not ready' });
  });

  app.get('/metrics', async (_req, reply) => {
    const { registry } = options.metrics;
    const text = await registry.metrics();
    return reply
      .header('content-type', registry.contentType)
      .header('cache-control', NO_STORE)
      .send(text);
  });

  const tokens = (options.intake?.tokens ?? []).filter((t) => t !== '');
  const intakeOn = options.intake !== undefined && tokens.length > 0;
  if (options.intake && intakeOn) {
    // Before the routes: it collects their schemas as they are added (only tagged /v1 routes).
    await app.register(fastifySwagger, { openapi: OPENAPI_INFO, hideUntagged: true });
    registerIntakeRoutes(app, { ...options.intake, tokens }, logger);
  }

  const notificationsOn =
    options.notifications !== undefined && options.notifications.secret !== '';
  if (options.notifications && notificationsOn)
    registerNotificationRoutes(app, options.notifications, logger);

  const dashboardOn =
    options.dashboard !== undefined &&
    options.dashboard.user !== '' &&
    options.dashboard.password !== '';
  if (options.dashboard && dashboardOn) await registerDashboard(app, options.dashboard, logger);

  try {
    await app.listen({ host: options.host, port: options.port });
  } catch (err) {
    await app.close();
    const reason = err instanceof Error ? err.message : String(err);
    throw new Error(
      `ops server could not listen on ${options.host}:${options.port} (HTTP_HOST/HTTP_PORT): ${reason}`,
      {
        cause: err,
      },
    );
  }
  const url = formatUrl(app.server.address(), `${options.host}:${options.port}`);
  logger.info(
    {
      url,
      intake: intakeOn,
      notifications: notificationsOn,
      dashboard: dashboardOn ? `${url}${DASHBOARD_PATH}` : false,
    },
    'ops server listening',
  );

  return {
    url,
    mounted: { intake: intakeOn, dashboard: dashboardOn, notifications: notificationsOn },
    routes,
    close: () => app.close(),
  };
}
