import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { OP_CLASS } from '../agora/types.js';
import type { SimulatorStats } from './admin-types.js';
import { handleAdminRequest } from './admin-routes.js';
import type { AdminContext } from './admin-routes.js';
import { MESSAGES } from './agora-messages.js';
import { answerApiRequest } from './answer-api-request.js';
import type { ApiCall } from './answer-api-request.js';
import { createCallLog } from './call-log.js';
import type { CallLogEntry, NewCallLogEntry } from './call-log.js';
import { createFaultInjector, noFaults } from './fault-injector.js';
import type { FaultTarget } from './fault-injector.js';
import type { SimulatorFaults } from './simulator-options.js';
import { createGatewayState } from './gateway-state.js';
import { createNotifier } from './notifier.js';
import type { NotifierSettings } from './notifier.js';
import { isRegion, parseApiRequest } from './parse-api-request.js';
import type { ParsedApiRequest } from './parse-api-request.js';
import { createRateLimiter } from './rate-limiter.js';
import { resolveSimulatorOptions } from './simulator-options.js';
import type { SimulatorConfig, SimulatorLimits, SimulatorOptions } from './simulator-options.js';
import { verifyAuthorization } from './verify-authorization.js';

export interface Simulator {
  /** `http://host:port`, no trailing slash. */
  url: string;
  port: number;
  host: string;
  /** Stops listening, drops every connection (keep-alive and held requests), clears timers. */
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 1024 * 1024;
const MAX_REQUEST_ID_LENGTH = 256;
const EMPTY = Buffer.alloc(0);

function readBody(req: IncomingMessage, done: (body: Buffer | undefined) => void): void {
  const chunks: Buffer[] = [];
  let size = 0;
  req.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size <= MAX_BODY_BYTES) chunks.push(chunk);
  });
  req.on('end', () => {
    if (size > MAX_BODY_BYTES) done(undefined);
    else
      done(chunks.length === 0 ? EMPTY : chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks));
  });
}

function headerValue(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/**
 * Starts a local Agora Media Gateway (DESIGN §5) on `host:port`. API requests go through, in
 * order: latency → outage → auth → route → rate limit → rules / errorRate / timeoutRate → state.
 * Anything that answers before "state" leaves the state untouched.
 */
export async function createSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const opts = resolveSimulatorOptions(options);
  const logger = opts.logger;
  const startLimits: SimulatorLimits = {
    createRps: opts.createRps,
    deleteRps: opts.deleteRps,
    queryRps: opts.queryRps,
  };
  const startFaults: SimulatorFaults = {
    ...noFaults(),
    latencyMs: opts.latencyMs,
    errorRate: opts.errorRate,
    errorStatus: opts.errorStatus,
    timeoutRate: opts.timeoutRate,
  };
  const startConfig: SimulatorConfig = {
    reconnectDelayMs: opts.reconnectDelayMs,
    sidQueryShape: opts.sidQueryShape,
  };
  const creds = {
    customerId: opts.customerId,
    customerSecret: opts.customerSecret,
    hmacClockSkewS: opts.hmacClockSkewS,
  };

  const startNotifier: NotifierSettings = {
    url: opts.ncsUrl,
    secret: opts.ncsSecret,
    duplicateRate: opts.ncsDuplicateRate,
    reorderMs: opts.ncsReorderMs,
    maskKeys: opts.ncsMaskKeys,
  };
  const notifier = createNotifier(startNotifier, logger);

  let config: SimulatorConfig = { ...startConfig };
  const state = createGatewayState({
    reconnectDelayMs: config.reconnectDelayMs,
    onEvent: (event) => notifier.emit(event),
  });
  const limiter = createRateLimiter(startLimits);
  const faults = createFaultInjector(startFaults);
  const calls = createCallLog();
  let byStatus = new Map<number, number>();
  let timeouts = 0;
  let seedNumber = 0;
  const delays = new Set<NodeJS.Timeout>();
  let closing = false;

  const setConfig = (patch: Partial<SimulatorConfig>): void => {
    config = { ...config, ...patch };
    state.setReconnectDelayMs(config.reconnectDelayMs);
  };

  const stats = (): SimulatorStats => ({
    ...state.stats(),
    calls: calls.total(),
    timeouts,
    byStatus: Object.fromEntries([...byStatus].map(([k, v]) => [String(k), v])),
  });

  const admin: AdminContext = {
    state,
    faults,
    limiter,
    calls,
    notifier,
    config: () => ({ ...config }),
    setConfig,
    reset(input) {
      state.reset();
      calls.clear();
      faults.reset(startFaults);
      notifier.reset(startNotifier);
      const { reconnectDelayMs, sidQueryShape, ...limits } = input;
      limiter.reset({ ...startLimits, ...limits });
      config = { ...startConfig };
      setConfig({
        ...(reconnectDelayMs === undefined ? {} : { reconnectDelayMs }),
        ...(sidQueryShape === undefined ? {} : { sidQueryShape }),
      });
      byStatus = new Map();
      timeouts = 0;
    },
    stats,
    nextSeedNumber: () => (seedNumber += 1),
  };

  function send(
    res: ServerResponse,
    entry: CallLogEntry,
    status: number,
    body: unknown,
    requestId: string | undefined,
  ): void {
    const json = JSON.stringify(body);
    const headers: Record<string, string | number> = {
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(json),
    };
    if (requestId !== undefined) {
      headers['x-request-id'] = requestId;
      entry.requestId = requestId;
    }
    res.writeHead(status, headers);
    res.end(json);
    entry.status = status;
    entry.durationMs = Date.now() - entry.time;
    byStatus.set(status, (byStatus.get(status) ?? 0) + 1);
  }

  function answerApi(
    req: IncomingMessage,
    res: ServerResponse,
    parsed: ParsedApiRequest,
    body: Buffer,
    entry: CallLogEntry,
  ): void {
    if (closing) return;
    const now = Date.now();
    const sentId = headerValue(req, 'x-request-id');
    const requestId =
      sentId !== undefined && sentId !== '' && sentId.length <= MAX_REQUEST_ID_LENGTH
        ? sentId
        : randomUUID();

    if (faults.inOutage(now)) {
      send(res, entry, 503, { message: MESSAGES.outage }, requestId);
      return;
    }
    const auth = verifyAuthorization(
      {
        authorization: headerValue(req, 'authorization'),
        host: headerValue(req, 'host'),
        date: headerValue(req, 'date'),
        digest: headerValue(req, 'digest'),
        method: req.method ?? '',
        pathWithQuery: req.url ?? '',
        body,
        nowMs: now,
      },
      creds,
    );
    if (!auth.ok) {
      // Agora sends no X-Request-ID on 401 (reference §6).
      send(res, entry, 401, { message: MESSAGES.unauthorized }, undefined);
      return;
    }
    if (parsed.reject !== undefined || parsed.op === 'unknown' || !isRegion(parsed.region)) {
      const reject = parsed.reject ?? { status: 404, message: MESSAGES.notFound };
      send(res, entry, reject.status, { message: reject.message }, requestId);
      return;
    }
    const op = parsed.op;
    if (!limiter.take(parsed.appId, OP_CLASS[op], now)) {
      send(res, entry, 429, { message: MESSAGES.rateLimited }, requestId);
      return;
    }
    const target: FaultTarget = { op, appId: parsed.appId, region: parsed.region };
    if (parsed.streamKey !== undefined) target.streamKey = parsed.streamKey;
    if (parsed.sid !== undefined) target.sid = parsed.sid;
    const decision = faults.decide(target);
    if (decision !== undefined) {
      if (decision.kind === 'timeout') {
        // Held until the client gives up or close() drops the socket.
        timeouts += 1;
        return;
      }
      send(
        res,
        entry,
        decision.status,
        { message: decision.message },
        decision.status === 401 ? undefined : requestId,
      );
      return;
    }
    const call: ApiCall = { op, region: parsed.region, appId: parsed.appId, body };
    if (parsed.streamKey !== undefined) call.streamKey = parsed.streamKey;
    if (parsed.sid !== undefined) call.sid = parsed.sid;
    if (parsed.channel !== undefined) call.channel = parsed.channel;
    const answer = answerApiRequest(state, call, config.sidQueryShape, now);
    send(res, entry, answer.status, answer.body, requestId);
  }

  /** A bug must answer 500, not crash the process: handlers run in event callbacks. */
  function guarded(res: ServerResponse, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      logger?.error({ err }, 'simulator request failed');
      if (!res.headersSent) {
        res.writeHead(500, { 'content-type': 'application/json; charset=utf-8' });
        res.end(JSON.stringify({ message: MESSAGES.internal }));
      }
    }
  }

  function onApiRequest(req: IncomingMessage, res: ServerResponse, arrival: number): void {
    const method = req.method ?? '';
    const url = req.url ?? '';
    const parsed = parseApiRequest(method, url);
    const fresh: NewCallLogEntry = {
      time: arrival,
      method,
      path: url,
      op: parsed.op,
      appId: parsed.appId,
      region: parsed.region,
    };
    if (parsed.streamKey !== undefined) fresh.streamKey = parsed.streamKey;
    if (parsed.sid !== undefined) fresh.sid = parsed.sid;
    const entry = calls.append(fresh);
    readBody(req, (body) => {
      if (body === undefined) {
        send(res, entry, 413, { message: 'Request body too large.' }, undefined);
        return;
      }
      const latency = faults.latencyMs();
      if (latency === 0) {
        guarded(res, () => answerApi(req, res, parsed, body, entry));
        return;
      }
      const timer = setTimeout(() => {
        delays.delete(timer);
        guarded(res, () => answerApi(req, res, parsed, body, entry));
      }, latency);
      delays.add(timer);
    });
  }

  function onAdminRequest(req: IncomingMessage, res: ServerResponse): void {
    readBody(req, (body) => {
      guarded(res, () => {
        const answer =
          body === undefined
            ? { status: 413, body: { message: 'body too large' } }
            : handleAdminRequest(admin, req.method ?? '', req.url ?? '', body, Date.now());
        const json = JSON.stringify(answer.body);
        res.writeHead(answer.status, {
          'content-type': 'application/json; charset=utf-8',
          'content-length': Buffer.byteLength(json),
        });
        res.end(json);
      });
    });
  }

  const server = createServer((req, res) => {
    const arrival = Date.now();
    guarded(res, () => {
      if (req.url?.startsWith('/_sim/')) onAdminRequest(req, res);
      else onApiRequest(req, res, arrival);
    });
  });
  // Benchmarks keep connections alive between bursts; Node's 5 s default would churn sockets.
  server.keepAliveTimeout = 30_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const hostForUrl = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${hostForUrl}:${address.port}`;
  logger?.info({ url }, 'simulator listening');

  let closed: Promise<void> | undefined;
  return {
    url,
    port: address.port,
    host: address.address,
    close() {
      closed ??= new Promise<void>((resolve, reject) => {
        closing = true;
        for (const t of delays) clearTimeout(t);
        delays.clear();
        notifier.close();
        state.reset();
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      });
      return closed;
    },
  };
}
