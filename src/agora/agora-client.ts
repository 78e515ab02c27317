import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import ky, { isHTTPError } from 'ky';
import { AgoraError, InvalidArgumentError, toAgoraError } from './errors.js';
import { buildBasicAuthorization, buildHmacAuthorization, computeHmacSignature } from './hmac.js';
import {
  parseAck,
  parseOnlineStreamBySid,
  parseOnlineStreamList,
  parseStreamKeyInfo,
  type BodyContext,
} from './parse-responses.js';
import {
  assertCreateKeySettings,
  onlineStreamPath,
  onlineStreamsPath,
  streamKeyPath,
  streamKeysPath,
} from './paths.js';
import type {
  AgoraApi,
  AgoraOp,
  Answered,
  CallInfo,
  CallOptions,
  CallTracer,
  DeleteKeyResult,
  DisconnectResult,
  LoggerLike,
  QueryKeyResult,
  QueryStreamResult,
  Region,
} from './types.js';

export type AgoraAuthScheme = 'basic' | 'hmac';

export interface AgoraAuth {
  scheme: AgoraAuthScheme;
  customerId: string;
  /** Never logged, never part of an error message. */
  customerSecret: string;
}

export interface AgoraClientOptions {
  /** API origin, optionally with a path prefix, e.g. `https://api.agora.io`. */
  baseUrl: string;
  auth: AgoraAuth;
  /** Per-request timeout (headers and body), in ms. */
  timeoutMs: number;
  /** Gets one line per call unless a call passes its own `logger`. */
  logger?: LoggerLike;
  /** Called after every finished exchange (status 0 when no response arrived), e.g. for metrics. */
  onCall?: (info: CallInfo) => void;
  /** Wraps every exchange, e.g. in an OpenTelemetry span (src/telemetry); off when unset. */
  traceCall?: CallTracer;
  /** @defaultValue `agora-takedown` */
  userAgent?: string;
}

/** The Media Gateway calls over HTTP; `close()` waits for calls in flight, then refuses new ones. */
export interface AgoraClient extends AgoraApi {
  close(): Promise<void>;
}

// setTimeout's limit: a longer delay would fire at once.
const MAX_TIMEOUT_MS = 2_147_483_647;

interface Exchange<T> {
  op: AgoraOp;
  method: 'GET' | 'POST' | 'DELETE';
  region: Region;
  appId: string;
  /** Already validated and encoded by paths.ts. */
  path: string;
  body?: unknown;
  /** Extra log fields (sid, streamKey, channel). */
  fields: Record<string, string>;
  opts: CallOptions | undefined;
  parse: (ctx: BodyContext, bodyText: string) => T;
  /** When set, a 404 is this result instead of an error. */
  onNotFound?: (requestId: string) => T;
}

type ExchangeTarget = Pick<
  Exchange<unknown>,
  'op' | 'region' | 'appId' | 'path' | 'fields' | 'opts'
>;

/** A DELETE that Agora answers with an ack (revoke a key, cut a session); a 404 is `not-found`. */
function ackedDelete<R extends 'deleted' | 'disconnected'>({
  result,
  ...target
}: ExchangeTarget & { result: R }): Exchange<Answered & { result: R | 'not-found' }> {
  return {
    ...target,
    method: 'DELETE',
    parse: (ctx, text) => {
      parseAck(ctx, text);
      return { requestId: ctx.requestId, result };
    },
    onNotFound: (requestId) => ({ requestId, result: 'not-found' }),
  };
}

/**
 * Creates the Media Gateway client on ky. One HTTP request per call, never retried here (the
 * worker owns retries); a fresh UUID `X-Request-ID` on each; Basic or HMAC auth (reference §5).
 * Keep-alive comes from Node's global fetch agent; every response body is read to the end so
 * the socket goes back to the pool.
 */
export function createAgoraClient(options: AgoraClientOptions): AgoraClient {
  const resolved = resolveOptions(options);
  const { auth, timeoutMs, onCall, traceCall } = resolved;
  const basicAuthorization =
    auth.scheme === 'basic' ? buildBasicAuthorization(auth.customerId, auth.customerSecret) : '';
  const http = ky.create({
    retry: 0,
    // The client's own deadline (in exchange) covers headers and body; ky's would only add a
    // second timer and race per call, and stops at the headers.
    timeout: false,
    throwHttpErrors: true,
    // A redirect means a misconfigured baseUrl; following it would replay signed requests elsewhere.
    redirect: 'manual',
    headers: { accept: 'application/json', 'user-agent': resolved.userAgent },
  });
  const inFlight = new Set<Promise<unknown>>();
  let closed = false;

  function authHeaders(method: string, url: URL, body: string): Record<string, string> {
    if (auth.scheme === 'basic') return { authorization: basicAuthorization };
    const date = new Date().toUTCString();
    const { digest, signature } = computeHmacSignature({
      customerSecret: auth.customerSecret,
      // Exactly what fetch puts on the wire: host with :port when not the scheme's default.
      host: url.host,
      date,
      method,
      pathWithQuery: url.pathname + url.search,
      body,
    });
    return {
      authorization: buildHmacAuthorization(auth.customerId, signature),
      date,
      digest,
    };
  }

  async function exchange<T>(x: Exchange<T>): Promise<T> {
    const logger = x.opts?.logger ?? resolved.logger;
    const signal = x.opts?.signal;
    const sentId = randomUUID();
    const url = new URL(resolved.prefix + x.path);
    const bodyText = x.body === undefined ? '' : JSON.stringify(x.body);
    const headers: Record<string, string> = {
      'x-request-id': sentId,
      ...authHeaders(x.method, url, bodyText),
    };
    if (x.body !== undefined) headers['content-type'] = 'application/json';

    // One deadline for headers and body. The caller's signal aborts the same controller (with its
    // own reason) rather than through AbortSignal.any: ky already combines signals once per call.
    const deadline = new AbortController();
    const timer = setTimeout(() => {
      deadline.abort(new DOMException('The request timed out', 'TimeoutError'));
    }, timeoutMs);
    const onAbort = (): void => {
      deadline.abort(signal?.reason);
    };
    if (signal?.aborted === true) onAbort();
    else signal?.addEventListener('abort', onAbort, { once: true });
    const endTrace = traceCall?.({
      op: x.op,
      method: x.method,
      appId: x.appId,
      region: x.region,
    });
    const started = performance.now();
    let status = 0;
    let requestId: string = sentId;
    let failure: AgoraError | undefined;
    try {
      const response = await http(url, {
        method: x.method,
        headers,
        ...(x.body === undefined ? {} : { body: bodyText }),
        signal: deadline.signal,
      });
      status = response.status;
      requestId = response.headers.get('x-request-id') || sentId;
      const text = await response.text();
      return x.parse({ op: x.op, status, requestId }, text);
    } catch (err) {
      if (isHTTPError(err)) {
        status = err.response.status;
        requestId = err.response.headers.get('x-request-id') || sentId;
        // Read the error body too: it carries Agora's message and frees the socket.
        const text = await err.response.text().catch(() => '');
        if (status === 404 && x.onNotFound !== undefined) {
          return x.onNotFound(requestId);
        }
        failure = toAgoraError(err, { op: x.op, requestId, bodyText: text });
      } else {
        failure = toAgoraError(err, {
          op: x.op,
          requestId,
          aborted: signal?.aborted === true,
        });
      }
      throw failure;
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      const durationMs = Math.round((performance.now() - started) * 10) / 10;
      const line = {
        op: x.op,
        appId: x.appId,
        region: x.region,
        ...x.fields,
        status,
        durationMs,
        requestId,
      };
      if (failure === undefined) {
        logger?.debug(line, 'agora call');
      } else {
        const agoraMessage = (failure as { agoraMessage?: unknown }).agoraMessage;
        logger?.info(
          {
            ...line,
            error: failure.name,
            retryable: failure.retryable,
            ...(typeof agoraMessage === 'string' ? { agoraMessage } : {}),
          },
          'agora call failed',
        );
      }
      const info = { op: x.op, appId: x.appId, region: x.region, status, durationMs, requestId };
      // A metrics or tracing callback must not change the outcome of a call.
      try {
        onCall?.(info);
      } catch {
        /* ignored */
      }
      try {
        endTrace?.(
          info,
          failure === undefined ? undefined : { name: failure.name, retryable: failure.retryable },
        );
      } catch {
        /* ignored */
      }
      try {
        x.opts?.onCall?.(info);
      } catch {
        /* ignored: an audit callback must not change the outcome of a call either */
      }
    }
  }

  function run<T>(x: Exchange<T>): Promise<T> {
    if (closed) {
      return Promise.reject(
        new AgoraError(`Agora ${x.op} refused: the client is closed`, {
          retryable: true,
          op: x.op,
        }),
      );
    }
    const promise = exchange(x);
    inFlight.add(promise);
    const forget = (): void => {
      inFlight.delete(promise);
    };
    promise.then(forget, forget);
    return promise;
  }

  /** Validation throws synchronously inside path building; surface it as a rejected promise. */
  function call<T>(build: () => Exchange<T>): Promise<T> {
    let x: Exchange<T>;
    try {
      x = build();
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
    return run(x);
  }

  return {
    createStreamKey(input, opts) {
      return call(() => {
        const path = streamKeysPath(input);
        assertCreateKeySettings(input);
        const settings: Record<string, unknown> = {
          channel: input.channel,
          uid: input.uid,
          expiresAfter: input.expiresAfter,
        };
        if (input.templateId !== undefined) settings.templateId = input.templateId;
        return {
          op: 'create-key',
          method: 'POST',
          region: input.region,
          appId: input.appId,
          path,
          body: { settings },
          fields: { channel: input.channel },
          opts,
          parse: (ctx, text) => ({ requestId: ctx.requestId, key: parseStreamKeyInfo(ctx, text) }),
        };
      });
    },

    queryStreamKey(ref, opts) {
      return call<QueryKeyResult>(() => ({
        op: 'query-key',
        method: 'GET',
        region: ref.region,
        appId: ref.appId,
        path: streamKeyPath(ref),
        fields: { streamKey: ref.streamKey },
        opts,
        parse: (ctx, text) => ({
          requestId: ctx.requestId,
          result: 'found' as const,
          key: parseStreamKeyInfo(ctx, text),
        }),
        onNotFound: (requestId) => ({ requestId, result: 'not-found' as const }),
      }));
    },

    deleteStreamKey(ref, opts) {
      return call<DeleteKeyResult>(() =>
        ackedDelete({
          op: 'delete-key',
          region: ref.region,
          appId: ref.appId,
          path: streamKeyPath(ref),
          fields: { streamKey: ref.streamKey },
          opts,
          result: 'deleted',
        }),
      );
    },

    listOnlineStreams(ref, opts) {
      return call(() => ({
        op: 'list-streams',
        method: 'GET',
        region: ref.region,
        appId: ref.appId,
        path: onlineStreamsPath(ref),
        fields: ref.channel === undefined ? {} : { channel: ref.channel },
        opts,
        parse: (ctx, text) => ({
          requestId: ctx.requestId,
          streams: parseOnlineStreamList(ctx, text),
        }),
      }));
    },

    queryOnlineStream(ref, opts) {
      return call<QueryStreamResult>(() => ({
        op: 'query-stream',
        method: 'GET',
        region: ref.region,
        appId: ref.appId,
        path: onlineStreamPath(ref),
        fields: { sid: ref.sid },
        opts,
        parse: (ctx, text) => {
          const stream = parseOnlineStreamBySid(ctx, text, ref.sid);
          return stream === undefined
            ? { requestId: ctx.requestId, result: 'not-found' as const }
            : { requestId: ctx.requestId, result: 'found' as const, stream };
        },
        onNotFound: (requestId) => ({ requestId, result: 'not-found' as const }),
      }));
    },

    disconnectStream(ref, opts) {
      return call<DisconnectResult>(() =>
        ackedDelete({
          op: 'disconnect',
          region: ref.region,
          appId: ref.appId,
          path: onlineStreamPath(ref),
          fields: { sid: ref.sid },
          opts,
          result: 'disconnected',
        }),
      );
    },

    async close() {
      closed = true;
      await Promise.allSettled([...inFlight]);
    },
  };
}

interface ResolvedAgoraClientOptions {
  /** Origin plus path prefix, no trailing slash. */
  prefix: string;
  auth: AgoraAuth;
  timeoutMs: number;
  logger: LoggerLike | undefined;
  onCall: ((info: CallInfo) => void) | undefined;
  traceCall: CallTracer | undefined;
  userAgent: string;
}

function resolveOptions(options: AgoraClientOptions): ResolvedAgoraClientOptions {
  let base: URL;
  try {
    base = new URL(options.baseUrl);
  } catch {
    throw new InvalidArgumentError('baseUrl', 'Invalid baseUrl: expected an absolute http(s) URL');
  }
  if (base.protocol !== 'http:' && base.protocol !== 'https:') {
    throw new InvalidArgumentError(
      'baseUrl',
      `Invalid baseUrl: protocol must be http: or https:, got ${base.protocol}`,
    );
  }
  if (base.search !== '' || base.hash !== '' || base.username !== '' || base.password !== '') {
    throw new InvalidArgumentError(
      'baseUrl',
      'Invalid baseUrl: must not contain credentials, a query or a fragment',
    );
  }
  const { auth } = options;
  if (auth.scheme !== 'basic' && auth.scheme !== 'hmac') {
    throw new InvalidArgumentError('auth.scheme', 'Invalid auth.scheme: expected basic or hmac');
  }
  if (auth.customerId === '' || auth.customerSecret === '') {
    throw new InvalidArgumentError(
      'auth',
      'Invalid auth: customerId and customerSecret must be non-empty',
    );
  }
  // Header values must be printable ASCII, and a '"' would break the HMAC username quoting.
  if (!/^[\x20-\x7e]+$/.test(auth.customerId) || auth.customerId.includes('"')) {
    throw new InvalidArgumentError(
      'auth.customerId',
      'Invalid auth.customerId: expected printable ASCII without double quotes',
    );
  }
  if (
    !Number.isSafeInteger(options.timeoutMs) ||
    options.timeoutMs < 1 ||
    options.timeoutMs > MAX_TIMEOUT_MS
  ) {
    throw new InvalidArgumentError(
      'timeoutMs',
      `Invalid timeoutMs: expected an integer from 1 to ${MAX_TIMEOUT_MS}`,
    );
  }
  return {
    prefix: base.origin + base.pathname.replace(/\/+$/, ''),
    auth: { ...auth },
    timeoutMs: options.timeoutMs,
    logger: options.logger,
    onCall: options.onCall,
    traceCall: options.traceCall,
    userAgent: options.userAgent ?? 'agora-takedown',
  };
}
