import type { FastifyInstance, FastifyRequest } from 'fastify';
import {
  SIGNATURE_V1_HEADER,
  SIGNATURE_V2_HEADER,
  parseAgoraNotification,
  verifyAgoraSignature,
} from '../notifications/index.js';
import type { EventLabel, StreamEvent } from '../notifications/index.js';
import { isUnavailable, parseJsonBody, withTimeout } from './intake-routes.js';
import type { OpsLogger } from './ops-logger.js';
import { NOTIFICATION_SCHEMA, PASS_THROUGH_VALIDATOR } from './route-schemas.js';

/** The slice of the producer the notifications intake uses. */
export interface NotificationSink {
  acceptNotification(event: StreamEvent): Promise<'accepted' | 'duplicate'>;
}

export interface NotificationIntakeOptions {
  /** NCS_SECRET; the route is mounted only when it is non-empty. */
  secret: string;
  bodyLimitBytes: number;
  /** App ID of events whose URL names none (AGORA_APP_ID). */
  defaultAppId: string | undefined;
  sink: NotificationSink;
  /** Counts every delivery at the intake (takedown_notifications_total). */
  onResult?: (event: EventLabel, result: string) => void;
  /** Longest wait for Redis; well under Agora's 10 s. @defaultValue 5000 */
  timeoutMs?: number;
}

export const NOTIFICATIONS_PATH = '/v1/agora/notifications';

/** Set on a request whose raw body carried a valid signature. */
const VERIFIED = Symbol('ncs-verified');
type MaybeVerified = FastifyRequest & { [VERIFIED]?: boolean };

function header(req: FastifyRequest, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/**
 * POST /v1/agora/notifications: Agora Notifications (NCS) for Media Gateway.
 *
 * Signature first, over the raw bytes, before anything is parsed: a missing or wrong signature is
 * 401 and nothing is recorded. Then the JSON and its fields (400 naming the field), then one add
 * to the enforcement queue per noticeId (a redelivery is a duplicate). A valid event always gets
 * 200 with a JSON body; the work (rules, takedowns, confirmations) is done by the worker.
 * Redis away → 503, so Agora retries.
 */
export function registerNotificationRoutes(
  app: FastifyInstance,
  options: NotificationIntakeOptions,
  logger: OpsLogger,
): void {
  const { secret, sink } = options;
  const timeoutMs = options.timeoutMs ?? 5000;
  const count = (event: EventLabel, result: string): void => {
    try {
      options.onResult?.(event, result);
    } catch {
      // Metrics never change an answer.
    }
  };

  app.register((scope, _opts, done) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser(
      '*',
      { parseAs: 'buffer', bodyLimit: options.bodyLimitBytes },
      (req, body, parsed) => {
        const raw = body as Buffer;
        const ok = verifyAgoraSignature(
          raw,
          { v2: header(req, SIGNATURE_V2_HEADER), v1: header(req, SIGNATURE_V1_HEADER) },
          secret,
        );
        if (!ok) {
          parsed(
            Object.assign(new Error(unauthorizedMessage(req)), { statusCode: 401 }),
            undefined,
          );
          return;
        }
        (req as MaybeVerified)[VERIFIED] = true;
        const result = parseJsonBody(raw);
        if (result.ok) parsed(null, result.value);
        else parsed(Object.assign(new Error(result.message), { statusCode: 400 }), undefined);
      },
    );
    // 401 / 400 raised by the parser are counted here, once per delivery.
    scope.addHook('onError', (req, reply, err, hookDone) => {
      const status = (err as { statusCode?: number }).statusCode;
      if (status === 401) count('unknown', 'unauthorized');
      else if (status === 400 || status === 413) count('unknown', 'invalid');
      hookDone();
    });

    scope.post<{ Querystring: { appId?: string } }>(
      NOTIFICATIONS_PATH,
      {
        bodyLimit: options.bodyLimitBytes,
        schema: NOTIFICATION_SCHEMA,
        validatorCompiler: PASS_THROUGH_VALIDATOR,
      },
      async (req, reply) => {
        if ((req as MaybeVerified)[VERIFIED] !== true) {
          // No body at all: nothing was signed.
          count('unknown', 'unauthorized');
          return reply.code(401).send({ error: 'unauthorized', message: unauthorizedMessage(req) });
        }
        const queryAppId = typeof req.query.appId === 'string' ? req.query.appId : undefined;
        const parsed = parseAgoraNotification(req.body, {
          appId: queryAppId ?? options.defaultAppId,
          receivedAt: Date.now(),
        });
        if (!parsed.ok) {
          count('unknown', 'invalid');
          return reply.code(400).send({
            error: 'invalid-request',
            message: `invalid Agora notification: ${parsed.errors.map((e) => `${e.field}: ${e.message}`).join('; ')}`,
            fieldErrors: parsed.errors,
          });
        }
        const notice = parsed.value;
        if (notice.kind === 'ignored') {
          count(notice.label, 'ignored');
          return reply.code(200).send({ status: 'ignored', noticeId: notice.noticeId });
        }
        const { event } = notice;
        try {
          const status = await withTimeout(sink.acceptNotification(event), timeoutMs);
          if (status === 'duplicate') count(event.event, 'duplicate');
          return await reply.code(200).send({ status, noticeId: event.noticeId });
        } catch (err) {
          if (!isUnavailable(err)) throw err;
          logger.warn({ err, noticeId: event.noticeId }, 'notifications: queue unavailable');
          return reply.code(503).header('retry-after', '5').send({
            error: 'queue-unavailable',
            message: 'the takedown queue (Redis) is unreachable; Agora retries the notification',
          });
        }
      },
    );
    done();
  });
}

function unauthorizedMessage(req: FastifyRequest): string {
  const has =
    header(req, SIGNATURE_V2_HEADER) !== undefined ||
    header(req, SIGNATURE_V1_HEADER) !== undefined;
  return has
    ? 'the Agora-Signature-V2 / Agora-Signature header does not match the body (check NCS_SECRET)'
    : 'missing Agora-Signature-V2 (or Agora-Signature) header: the body must be signed with NCS_SECRET';
}
