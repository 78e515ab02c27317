import type { FastifyInstance, RouteHandlerMethod } from 'fastify';
import type { RequestTracer } from '../telemetry/index.js';
import { ATTR } from '../telemetry/index.js';

/**
 * Runs every /v1 route handler as the root span of a trace (or as the child of the caller's W3C
 * `traceparent`), so an intake request, the job it enqueues, the job's steps and its Agora calls
 * form one trace. Routes registered later (by any plugin) are covered too.
 */
export function traceV1Routes(app: FastifyInstance, traceRequest: RequestTracer): void {
  app.addHook('onRoute', (route) => {
    if (!route.url.startsWith('/v1/')) return;
    const handler = route.handler as RouteHandlerMethod;
    const method = Array.isArray(route.method) ? route.method.join(',') : route.method;
    route.handler = function traced(req, reply) {
      return traceRequest(
        `${method} ${route.url}`,
        {
          headers: req.headers,
          attributes: { [ATTR.httpMethod]: req.method, [ATTR.httpRoute]: route.url },
        },
        async (span) => {
          const result: unknown = await handler.call(this, req, reply);
          span.setAttribute(ATTR.httpStatus, reply.statusCode);
          return result;
        },
      );
    };
  });
}
