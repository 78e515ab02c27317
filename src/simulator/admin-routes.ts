import type { Region } from '../agora/types.js';
import type {
  FaultsView,
  ResetInput,
  SeededStream,
  SimKey,
  SimStream,
  SimulatorStats,
} from './admin-types.js';
import type { CallLog } from './call-log.js';
import type { FaultInjector } from './fault-injector.js';
import { isExpired } from './gateway-state.js';
import type { GatewayState, StreamRecord } from './gateway-state.js';
import { isRegion } from './parse-api-request.js';
import { checkNotifierPatch } from './notifier.js';
import type { Notifier } from './notifier.js';
import type { RateLimiter } from './rate-limiter.js';
import { SimulatorInputError, isNonNegativeInt } from './simulator-options.js';
import type { SimulatorConfig, SimulatorLimits } from './simulator-options.js';

export interface AdminContext {
  state: GatewayState;
  faults: FaultInjector;
  limiter: RateLimiter;
  calls: CallLog;
  notifier: Notifier;
  config(): SimulatorConfig;
  setConfig(patch: Partial<SimulatorConfig>): void;
  /** Back to the start configuration, with `input` overriding limits/config. */
  reset(input: ResetInput): void;
  stats(): SimulatorStats;
  /** A number unique within this simulator, for seeded channel names and UIDs. */
  nextSeedNumber(): number;
}

export interface AdminAnswer {
  status: number;
  body: unknown;
}

const MAX_SEED = 100_000;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function parseJson(body: Uint8Array): Record<string, unknown> {
  if (body.length === 0) return {};
  let v: unknown;
  try {
    v = JSON.parse(Buffer.from(body).toString('utf8'));
  } catch {
    throw new SimulatorInputError('body must be JSON');
  }
  if (!isObject(v)) throw new SimulatorInputError('body must be a JSON object');
  return v;
}

function onlyFields(body: Record<string, unknown>, allowed: readonly string[]): void {
  for (const key of Object.keys(body)) {
    if (!allowed.includes(key)) {
      throw new SimulatorInputError(`${key} is not allowed here; allowed: ${allowed.join(', ')}`);
    }
  }
}

function requireString(body: Record<string, unknown>, field: string): string {
  const v = body[field];
  if (typeof v !== 'string' || v === '') {
    throw new SimulatorInputError(`${field} must be a non-empty string`);
  }
  return v;
}

function requireRegion(body: Record<string, unknown>): Region {
  const v = body.region;
  if (typeof v !== 'string' || !isRegion(v)) {
    throw new SimulatorInputError('region must be one of na, eu, ap, cn');
  }
  return v;
}

function optionalBool(body: Record<string, unknown>, field: string, fallback: boolean): boolean {
  const v = body[field];
  if (v === undefined) return fallback;
  if (typeof v !== 'boolean') throw new SimulatorInputError(`${field} must be a boolean`);
  return v;
}

function parseLimitsPatch(body: Record<string, unknown>): Partial<SimulatorLimits> {
  const out: Partial<SimulatorLimits> = {};
  for (const field of ['createRps', 'deleteRps', 'queryRps'] as const) {
    const v = body[field];
    if (v === undefined) continue;
    if (!isNonNegativeInt(v) || v > 1_000_000) {
      throw new SimulatorInputError(`${field} must be an integer 0..1000000 (0 = unlimited)`);
    }
    out[field] = v;
  }
  return out;
}

function parseConfigPatch(body: Record<string, unknown>): Partial<SimulatorConfig> {
  const out: Partial<SimulatorConfig> = {};
  if (body.reconnectDelayMs !== undefined) {
    if (!isNonNegativeInt(body.reconnectDelayMs) || body.reconnectDelayMs > 3_600_000) {
      throw new SimulatorInputError('reconnectDelayMs must be an integer 0..3600000');
    }
    out.reconnectDelayMs = body.reconnectDelayMs;
  }
  if (body.sidQueryShape !== undefined) {
    if (body.sidQueryShape !== 'array' && body.sidQueryShape !== 'object') {
      throw new SimulatorInputError("sidQueryShape must be 'array' or 'object'");
    }
    out.sidQueryShape = body.sidQueryShape;
  }
  return out;
}

function simStream(s: StreamRecord): SimStream {
  return {
    sid: s.sid,
    appId: s.appId,
    region: s.region,
    streamKey: s.streamKey,
    channel: s.channel,
    uid: s.uid,
    url: s.url,
    startedAt: s.startedAt,
  };
}

function seed(ctx: AdminContext, body: Record<string, unknown>, nowMs: number): AdminAnswer {
  onlyFields(body, ['appId', 'region', 'count', 'channel', 'reconnect', 'expiresAfter']);
  const appId = requireString(body, 'appId');
  const region = requireRegion(body);
  if (!isNonNegativeInt(body.count) || body.count < 1 || body.count > MAX_SEED) {
    throw new SimulatorInputError(`count must be an integer 1..${MAX_SEED}`);
  }
  const count = body.count;
  const channel = body.channel;
  if (channel !== undefined && (typeof channel !== 'string' || channel === '')) {
    throw new SimulatorInputError('channel must be a non-empty string');
  }
  const reconnect = optionalBool(body, 'reconnect', true);
  const expiresAfter = body.expiresAfter ?? 0;
  if (!isNonNegativeInt(expiresAfter)) {
    throw new SimulatorInputError('expiresAfter must be an integer >= 0 (seconds; 0 = never)');
  }
  const streams: SeededStream[] = [];
  for (let i = 0; i < count; i += 1) {
    const n = ctx.nextSeedNumber();
    // Distinct UIDs even within one channel: Agora wants one UID per key in a channel.
    const key = ctx.state.createKey(
      appId,
      region,
      { channel: channel ?? `sim-ch-${n}`, uid: String(1000 + n), expiresAfter },
      nowMs,
    );
    const started = ctx.state.startEncoder(appId, region, key.streamKey, reconnect, nowMs);
    if (!started.ok) throw new Error(`seeded key refused a push: ${started.message}`);
    streams.push({
      streamKey: key.streamKey,
      sid: started.stream.sid,
      channel: key.channel,
      uid: key.uid,
    });
  }
  return { status: 200, body: { streams } };
}

/** POST /_sim/keys: a key valid in several regions at once (a script-generated key). */
function createKeys(ctx: AdminContext, body: Record<string, unknown>, nowMs: number): AdminAnswer {
  onlyFields(body, ['appId', 'regions', 'channel', 'uid', 'expiresAfter']);
  const appId = requireString(body, 'appId');
  const regions = body.regions;
  if (
    !Array.isArray(regions) ||
    regions.length === 0 ||
    !regions.every((r) => typeof r === 'string' && isRegion(r))
  ) {
    throw new SimulatorInputError('regions must be a non-empty array of na, eu, ap, cn');
  }
  const n = ctx.nextSeedNumber();
  const channel = body.channel ?? `sim-ch-${n}`;
  if (typeof channel !== 'string' || channel === '') {
    throw new SimulatorInputError('channel must be a non-empty string');
  }
  const uid = body.uid ?? String(1000 + n);
  if (typeof uid !== 'string' || uid === '') {
    throw new SimulatorInputError('uid must be a non-empty string');
  }
  const expiresAfter = body.expiresAfter ?? 0;
  if (!isNonNegativeInt(expiresAfter)) {
    throw new SimulatorInputError('expiresAfter must be an integer >= 0 (seconds; 0 = never)');
  }
  const records = ctx.state.createMultiRegionKey(
    appId,
    regions,
    { channel, uid, expiresAfter },
    nowMs,
  );
  const [first] = records;
  return {
    status: 200,
    body: {
      streamKey: first?.streamKey,
      regions: records.map((k) => k.region),
      channel,
      uid,
    },
  };
}

function listStreams(ctx: AdminContext, q: URLSearchParams): AdminAnswer {
  const appId = q.get('appId');
  const region = q.get('region');
  const streamKey = q.get('streamKey');
  const channel = q.get('channel');
  const source = streamKey !== null ? ctx.state.streamsOfKey(streamKey) : ctx.state.allStreams();
  const streams: SimStream[] = [];
  for (const s of source) {
    if (appId !== null && s.appId !== appId) continue;
    if (region !== null && s.region !== region) continue;
    if (channel !== null && s.channel !== channel) continue;
    streams.push(simStream(s));
  }
  return { status: 200, body: { streams } };
}

function listKeys(ctx: AdminContext, q: URLSearchParams, nowMs: number): AdminAnswer {
  const appId = q.get('appId');
  const region = q.get('region');
  const keys: SimKey[] = [];
  for (const k of ctx.state.allKeys()) {
    if (appId !== null && k.appId !== appId) continue;
    if (region !== null && k.region !== region) continue;
    keys.push({
      appId: k.appId,
      region: k.region,
      streamKey: k.streamKey,
      channel: k.channel,
      uid: k.uid,
      expiresAfter: k.expiresAfter,
      createdAt: k.createdAt,
      revoked: k.revoked,
      expired: isExpired(k, nowMs),
    });
  }
  return { status: 200, body: { keys } };
}

function intParam(q: URLSearchParams, name: string, fallback: number): number {
  const raw = q.get(name);
  if (raw === null) return fallback;
  if (!/^\d+$/.test(raw)) throw new SimulatorInputError(`${name} must be an integer >= 0`);
  return Number(raw);
}

function faultsView(ctx: AdminContext, nowMs: number): FaultsView {
  const f = ctx.faults.faults();
  return { ...f, outageRemainingMs: Math.max(0, f.outageUntil - nowMs) };
}

/** The /_sim/ admin API: no auth, no rate limits, not in the call log. */
export function handleAdminRequest(
  ctx: AdminContext,
  method: string,
  url: string,
  rawBody: Uint8Array,
  nowMs: number,
): AdminAnswer {
  const qi = url.indexOf('?');
  const path = qi === -1 ? url : url.slice(0, qi);
  const q = new URLSearchParams(qi === -1 ? '' : url.slice(qi + 1));
  try {
    const route = `${method} ${path}`;
    switch (route) {
      case 'POST /_sim/reset': {
        const body = parseJson(rawBody);
        onlyFields(body, [
          'createRps',
          'deleteRps',
          'queryRps',
          'reconnectDelayMs',
          'sidQueryShape',
        ]);
        ctx.reset({ ...parseLimitsPatch(body), ...parseConfigPatch(body) });
        return { status: 200, body: { status: 'success' } };
      }
      case 'POST /_sim/encoders': {
        const body = parseJson(rawBody);
        onlyFields(body, ['appId', 'region', 'streamKey', 'reconnect']);
        const started = ctx.state.startEncoder(
          requireString(body, 'appId'),
          requireRegion(body),
          requireString(body, 'streamKey'),
          optionalBool(body, 'reconnect', true),
          nowMs,
        );
        return started.ok
          ? { status: 200, body: { sid: started.stream.sid } }
          : {
              status: started.status,
              body: { message: started.message, errorCode: started.errorCode },
            };
      }
      case 'POST /_sim/seed':
        return seed(ctx, parseJson(rawBody), nowMs);
      case 'GET /_sim/streams':
        return listStreams(ctx, q);
      case 'GET /_sim/keys':
        return listKeys(ctx, q, nowMs);
      case 'POST /_sim/keys':
        return createKeys(ctx, parseJson(rawBody), nowMs);
      case 'GET /_sim/calls': {
        const calls = ctx.calls.since(
          intParam(q, 'since', 0),
          intParam(q, 'limit', Number.MAX_SAFE_INTEGER),
        );
        return { status: 200, body: { calls } };
      }
      case 'GET /_sim/faults':
        return { status: 200, body: faultsView(ctx, nowMs) };
      case 'PUT /_sim/faults':
        ctx.faults.apply(parseJson(rawBody), nowMs);
        return { status: 200, body: faultsView(ctx, nowMs) };
      case 'GET /_sim/limits':
        return { status: 200, body: ctx.limiter.limits() };
      case 'PUT /_sim/limits': {
        const body = parseJson(rawBody);
        onlyFields(body, ['createRps', 'deleteRps', 'queryRps']);
        ctx.limiter.setLimits(parseLimitsPatch(body));
        return { status: 200, body: ctx.limiter.limits() };
      }
      case 'GET /_sim/config':
        return { status: 200, body: ctx.config() };
      case 'PUT /_sim/config': {
        const body = parseJson(rawBody);
        onlyFields(body, ['reconnectDelayMs', 'sidQueryShape']);
        ctx.setConfig(parseConfigPatch(body));
        return { status: 200, body: ctx.config() };
      }
      case 'GET /_sim/notifications':
        return { status: 200, body: ctx.notifier.settings() };
      case 'PUT /_sim/notifications':
        ctx.notifier.configure(checkNotifierPatch(parseJson(rawBody)));
        return { status: 200, body: ctx.notifier.settings() };
      case 'GET /_sim/stats':
        return { status: 200, body: ctx.stats() };
      default:
        return { status: 404, body: { message: `no simulator admin endpoint ${method} ${path}` } };
    }
  } catch (err) {
    if (err instanceof SimulatorInputError) return { status: 400, body: { message: err.message } };
    throw err;
  }
}
