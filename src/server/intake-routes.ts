import type {} from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { intakeRequester } from '../config/index.js';
import { isConnectionError } from '../producer/index.js';
import { createSecretIndex } from './constant-time-equal.js';
import {
  batchRequestSchema,
  batchResultSchema,
  batchStatusSchema,
  commonErrorResponses,
  enqueueResultSchema,
  errorSchema,
  idParamsSchema,
  jobStatusSchema,
  takedownRequestSchema,
} from './intake-schemas.js';
import type { OpsLogger } from './ops-logger.js';
import { toFieldErrors } from './validation-errors.js';
import type {
  IntakeBatchItemResult,
  IntakeEnqueueResult,
  IntakeFieldError,
  ProducerLike,
} from './producer-like.js';
import { registerRuleRoutes } from './rule-routes.js';
import type { RulesLike } from './rule-routes.js';

/**
 * HTTP intake: other services (any language) hand takedowns over with a bearer token.
 *
 *   POST /v1/takedowns          one request  → 202 {jobId, status:'enqueued', state} | 200 duplicate
 *   GET  /v1/takedowns/:jobId   status
 *   POST /v1/batches            array        → 202 {batchId, counts, results:[{index, status, jobId?, state?, errors?}]}
 *                                              (202 even when some or all items are rejected: see each item)
 *   GET  /v1/batches/:batchId   progress
 *
 * Validation and idempotency are the producer's own (the same as the CLI's); this file only
 * checks the token, the body's shape and size, and translates errors into status codes.
 */

export interface IntakeOptions {
  /**
   * Accepted bearer tokens as `name:token` (or a bare token); the intake is mounted only when
   * there is at least one. The name is recorded as the requester of the token's takedowns.
   */
  tokens: readonly string[];
  /** Most items in one POST /v1/batches. */
  maxBatch: number;
  /** Largest request body, in bytes (413 beyond). */
  bodyLimitBytes: number;
  producer: ProducerLike;
  /** How long one producer call may take before the request answers 503. @defaultValue 10000 */
  timeoutMs?: number;
  /** Enforcement rules (/v1/rules); mounted when given. */
  rules?: RulesLike;
}

/** The JSON every intake error answers with. */
export interface IntakeErrorBody {
  error: string;
  message: string;
  fieldErrors?: readonly IntakeFieldError[];
}

const RETRY_AFTER_S = '5';

class IntakeTimeoutError extends Error {
  override readonly name = 'IntakeTimeoutError';
  readonly retryable = true;
}

/** Only the documented fields of an enqueue answer, whatever else the producer's carries. */
function toIntakeResult(result: IntakeEnqueueResult): IntakeEnqueueResult {
  const out: IntakeEnqueueResult = {
    jobId: result.jobId,
    status: result.status,
    state: result.state,
  };
  if (result.priority !== undefined) out.priority = result.priority;
  if (result.merged !== undefined) out.merged = result.merged;
  if (result.keyTakedown !== undefined) out.keyTakedown = toIntakeResult(result.keyTakedown);
  if (result.unmerged !== undefined) out.unmerged = result.unmerged;
  return out;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new IntakeTimeoutError(`the queue did not answer within ${ms} ms`)),
      ms,
    );
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

function fieldErrorsOf(err: unknown): IntakeFieldError[] | undefined {
  if (!(err instanceof Error) || err.name !== 'ValidationError') return undefined;
  const raw = (err as { fieldErrors?: unknown }).fieldErrors;
  if (!Array.isArray(raw)) return undefined;
  return raw
    .filter(
      (e): e is IntakeFieldError =>
        isPlainObject(e) && typeof e.field === 'string' && typeof e.message === 'string',
    )
    .map((e) => ({ field: e.field, message: e.message }));
}

/**
 * Redis not there: the producer's RedisUnavailableError, our own timeout, or a raw ioredis
 * connection error (same test as the producer's, so the two cannot drift apart).
 */
export function isUnavailable(err: unknown): boolean {
  if (err instanceof IntakeTimeoutError) return true;
  if (err instanceof Error && err.name === 'RedisUnavailableError') return true;
  return isConnectionError(err);
}

function sendError(reply: FastifyReply, status: number, body: IntakeErrorBody): FastifyReply {
  return reply.code(status).send(body);
}

const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The request as the producer gets it: the authenticated token's name is the requester. A
 * `requestedBy` the caller sent (e.g. the moderator) is kept after it: `name/moderator`.
 */
export function withRequester(item: unknown, requester: string): unknown {
  if (!isPlainObject(item)) return item;
  const given = Object.hasOwn(item, 'requestedBy') ? item['requestedBy'] : undefined;
  const requestedBy =
    given === undefined || given === null || given === ''
      ? requester
      : typeof given === 'string'
        ? `${requester}/${given}`
        : given; // not a string: the payload schema names the field
  return { ...item, requestedBy };
}

/** Decodes an intake body: strict UTF-8, then JSON. */
export function parseJsonBody(
  body: Buffer,
): { ok: true; value: unknown } | { ok: false; message: string } {
  let text: string;
  try {
    text = STRICT_UTF8.decode(body);
  } catch {
    return { ok: false, message: 'the request body is not valid UTF-8' };
  }
  if (text.trim() === '') {
    return { ok: false, message: 'the request body is empty: send a JSON object or array' };
  }
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (err) {
    return { ok: false, message: `the request body is not valid JSON: ${(err as Error).message}` };
  }
}

export function registerIntakeRoutes(
  app: FastifyInstance,
  options: IntakeOptions,
  logger: OpsLogger,
): void {
  const { producer, maxBatch, bodyLimitBytes } = options;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const requesters = options.tokens.map(intakeRequester);
  const tokenIndex = createSecretIndex(requesters.map((r) => r.token));
  const requesterOf = new WeakMap<FastifyRequest, string>();
  const requester = (req: FastifyRequest): string => requesterOf.get(req) ?? 'intake';

  /** Runs a producer call; answers the error itself and returns undefined when it fails. */
  const call = async <T>(
    reply: FastifyReply,
    what: string,
    work: () => Promise<T>,
  ): Promise<T | undefined> => {
    try {
      return await withTimeout(work(), timeoutMs);
    } catch (err) {
      const fieldErrors = fieldErrorsOf(err);
      if (fieldErrors) {
        sendError(reply, 400, {
          error: 'invalid-request',
          message: (err as Error).message,
          fieldErrors,
        });
      } else if (isUnavailable(err)) {
        logger.warn({ err, op: what }, 'intake: queue unavailable');
        reply.header('retry-after', RETRY_AFTER_S);
        sendError(reply, 503, {
          error: 'queue-unavailable',
          message:
            'the takedown queue (Redis) is unreachable or too slow; the request may not have been recorded. ' +
            'Retry later: the same takedown is never enqueued twice.',
        });
      } else {
        logger.error({ err, op: what }, 'intake: unexpected error');
        sendError(reply, 500, { error: 'internal', message: 'internal error; see the worker log' });
      }
      return undefined;
    }
  };

  // Checked before the body is read, so an unauthenticated client cannot make us parse anything.
  const authenticate = async (req: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const header = req.headers.authorization;
    const match = typeof header === 'string' ? /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header) : null;
    const token = match?.[1];
    const index = token === undefined ? -1 : tokenIndex(token);
    const found = requesters[index];
    if (found !== undefined) {
      requesterOf.set(req, found.name);
      return;
    }
    reply.header('www-authenticate', 'Bearer realm="takedown-intake"');
    await sendError(reply, 401, {
      error: 'unauthorized',
      message:
        token === undefined
          ? 'missing bearer token: send "Authorization: Bearer <token>" with a token from INTAKE_TOKENS'
          : 'the bearer token is not accepted',
    });
  };

  app.register((scope, _opts, done) => {
    scope.addHook('onRequest', authenticate);
    // Our own JSON parser for the intake: fastify's default decodes invalid UTF-8 into U+FFFD
    // (so a mangled reason would be enqueued) and refuses `__proto__` keys with an error that
    // names no field. Strict decoding + plain JSON.parse (which keeps `__proto__` as an own,
    // harmless key) lets the payload schema name the offending field instead.
    scope.removeContentTypeParser('application/json');
    scope.addContentTypeParser(
      'application/json',
      { parseAs: 'buffer', bodyLimit: bodyLimitBytes },
      (_req, body, parsed) => {
        const result = parseJsonBody(body as Buffer);
        if (result.ok) parsed(null, result.value);
        else parsed(Object.assign(new Error(result.message), { statusCode: 400 }), undefined);
      },
    );

    // Schema violations answer like the producer's: 400 with `fieldErrors` naming each field.
    scope.setSchemaErrorFormatter((errors, dataVar) => {
      const fieldErrors = toFieldErrors(errors, dataVar);
      return Object.assign(new Error(fieldErrors.map((e) => e.message).join('; ')), {
        statusCode: 400,
        fieldErrors,
      });
    });

    // The machine-readable contract, behind the same token (generate a client from it).
    scope.get('/openapi.json', { schema: { hide: true } }, (_req, reply) =>
      reply.header('cache-control', 'no-store').send(app.swagger()),
    );
    void scope.register(fastifySwaggerUi, { routePrefix: '/docs' });

    const security = [{ bearerAuth: [] }];
    const tags = ['takedowns'];
    const tooLarge = { 413: { ...errorSchema, description: 'Body over INTAKE_BODY_LIMIT_BYTES.' } };
    const notFound = { 404: { ...errorSchema, description: 'Unknown id.' } };

    scope.post(
      '/v1/takedowns',
      {
        bodyLimit: bodyLimitBytes,
        schema: {
          summary: 'Enqueue one takedown',
          description:
            'Revoke the key, force-disconnect the session, verify. Idempotent per SID (or key): a second request answers 200 `duplicate` with the same jobId.',
          tags,
          security,
          body: takedownRequestSchema,
          response: {
            202: { ...enqueueResultSchema, description: 'Enqueued.' },
            200: { ...enqueueResultSchema, description: 'Duplicate of an existing takedown.' },
            ...commonErrorResponses,
            ...tooLarge,
          },
        },
      },
      async (req, reply) => {
        if (!isPlainObject(req.body)) {
          return sendError(reply, 400, {
            error: 'invalid-request',
            message:
              'the body must be one JSON object with the takedown fields (Content-Type: application/json)',
            fieldErrors: [
              {
                field: '(body)',
                message: 'must be a JSON object such as {"region":"na","sid":"..."}',
              },
            ],
          });
        }
        const body = withRequester(req.body, requester(req));
        const result = await call(reply, 'enqueue', () => producer.enqueue(body));
        if (!result) return reply;
        return reply.code(result.status === 'duplicate' ? 200 : 202).send(toIntakeResult(result));
      },
    );

    scope.get<{ Params: { jobId: string } }>(
      '/v1/takedowns/:jobId',
      {
        schema: {
          summary: 'Status of one takedown',
          tags,
          security,
          params: idParamsSchema('jobId', 'The jobId POST /v1/takedowns answered with.'),
          response: {
            200: { ...jobStatusSchema, description: 'The takedown.' },
            ...commonErrorResponses,
            ...notFound,
          },
        },
      },
      async (req, reply) => {
        const { jobId } = req.params;
        const status = await call(reply, 'status', () => producer.getStatus(jobId));
        if (reply.sent) return reply;
        if (
          status === undefined ||
          status === null ||
          (isPlainObject(status) && status.state === 'unknown')
        ) {
          return sendError(reply, 404, {
            error: 'not-found',
            message: `no takedown with job id ${JSON.stringify(jobId)}`,
          });
        }
        return reply.code(200).send(status);
      },
    );

    scope.post(
      '/v1/batches',
      {
        bodyLimit: bodyLimitBytes,
        schema: {
          summary: 'Enqueue a batch of takedowns',
          description:
            'Up to INTAKE_MAX_BATCH items, validated one by one; 202 even when some or all are rejected (see each item).',
          tags,
          security,
          body: batchRequestSchema,
          response: {
            202: { ...batchResultSchema, description: 'Accepted; per-item results.' },
            ...commonErrorResponses,
            ...tooLarge,
          },
        },
      },
      async (req, reply) => {
        const items = req.body;
        if (!Array.isArray(items)) {
          return sendError(reply, 400, {
            error: 'invalid-request',
            message:
              'the body must be a JSON array of takedown objects (Content-Type: application/json)',
            fieldErrors: [{ field: '(body)', message: 'must be a JSON array' }],
          });
        }
        if (items.length === 0 || items.length > maxBatch) {
          const message = `a batch holds 1 to ${maxBatch} items (INTAKE_MAX_BATCH); got ${items.length}`;
          return sendError(reply, 400, {
            error: 'invalid-request',
            message,
            fieldErrors: [{ field: '(body)', message }],
          });
        }
        const who = requester(req);
        const result = await call(reply, 'enqueue-batch', () =>
          producer.enqueueMany(items.map((item) => withRequester(item, who))),
        );
        if (!result) return reply;
        return reply.code(202).send({
          batchId: result.batchId,
          counts: result.counts,
          // Only the documented fields, whatever else the producer's items carry.
          results: result.results.map((r) => {
            const out: IntakeBatchItemResult = { index: r.index, status: r.status };
            if (r.jobId !== undefined) out.jobId = r.jobId;
            if (r.state !== undefined) out.state = r.state;
            if (r.priority !== undefined) out.priority = r.priority;
            if (r.merged !== undefined) out.merged = r.merged;
            if (r.keyTakedown !== undefined) out.keyTakedown = toIntakeResult(r.keyTakedown);
            if (r.unmerged !== undefined) out.unmerged = r.unmerged;
            if (r.errors !== undefined && r.errors.length > 0) out.errors = r.errors;
            return out;
          }),
        });
      },
    );

    scope.get<{ Params: { batchId: string } }>(
      '/v1/batches/:batchId',
      {
        schema: {
          summary: 'Progress of a batch',
          tags,
          security,
          params: idParamsSchema('batchId', 'The batchId POST /v1/batches answered with.'),
          response: {
            200: { ...batchStatusSchema, description: 'Counts per state.' },
            ...commonErrorResponses,
            ...notFound,
          },
        },
      },
      async (req, reply) => {
        const { batchId } = req.params;
        const progress = await call(reply, 'batch-status', () => producer.getStatus({ batchId }));
        if (reply.sent) return reply;
        if (progress === undefined || progress === null) {
          return sendError(reply, 404, {
            error: 'not-found',
            message: `no batch with id ${JSON.stringify(batchId)}`,
          });
        }
        return reply.code(200).send(progress);
      },
    );

    if (options.rules !== undefined) registerRuleRoutes(scope, options.rules, call);

    done();
  });
}
