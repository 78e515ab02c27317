import ky from 'ky';
import { Webhook } from 'standardwebhooks';
import { parseRetryAfter } from './callback-backoff.js';

/** How one delivery attempt ended. */
export type DeliveryAttempt =
  | { kind: 'delivered'; status: number }
  /** 410 Gone: the receiver asks us to stop sending to this URL. */
  | { kind: 'gone'; status: 410 }
  | { kind: 'retry'; status: number; message: string; retryAfterMs?: number };

export interface DeliverOptions {
  url: string;
  webhookId: string;
  body: string;
  /** `whsec_…` */
  secret: string;
  timeoutMs: number;
  now?: () => Date;
}

const http = ky.create({
  retry: 0,
  throwHttpErrors: false,
  // A redirect could send a signed event (and the worker) anywhere: never followed.
  redirect: 'manual',
  headers: { 'content-type': 'application/json', 'user-agent': 'agora-takedown-callbacks' },
});

/**
 * One signed POST (Standard Webhooks: `webhook-id`, `webhook-timestamp` of this attempt,
 * `webhook-signature` = v1 HMAC-SHA256 by the `standardwebhooks` reference library). Only 2xx
 * counts as delivered. 429 and 5xx carry the receiver's Retry-After; any other answer (3xx, 4xx),
 * a network error or the timeout is retried on the schedule. Never throws.
 */
export async function deliverCallback(options: DeliverOptions): Promise<DeliveryAttempt> {
  const at = options.now?.() ?? new Date();
  const signature = new Webhook(options.secret).sign(options.webhookId, at, options.body);
  let response: Response;
  try {
    response = await http.post(options.url, {
      body: options.body,
      timeout: options.timeoutMs,
      headers: {
        'webhook-id': options.webhookId,
        'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
        'webhook-signature': signature,
      },
    });
  } catch (err) {
    const timedOut = err instanceof Error && err.name === 'TimeoutError';
    return {
      kind: 'retry',
      status: 0,
      message: timedOut
        ? `no answer within ${options.timeoutMs} ms`
        : `request failed: ${err instanceof Error ? (err.cause instanceof Error ? err.cause.message : err.message) : String(err)}`,
    };
  }
  // Not read: only the status matters, and the socket goes back to the pool.
  await response.body?.cancel().catch(() => undefined);
  const { status } = response;
  if (status >= 200 && status < 300) return { kind: 'delivered', status };
  if (status === 410) return { kind: 'gone', status };
  const attempt: DeliveryAttempt = {
    kind: 'retry',
    status,
    message:
      status >= 300 && status < 400
        ? `the receiver answered ${status} (redirects are not followed)`
        : `the receiver answered ${status}`,
  };
  if (status === 429 || status >= 500) {
    const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'), at.getTime());
    if (retryAfterMs !== undefined) attempt.retryAfterMs = retryAfterMs;
  }
  return attempt;
}
