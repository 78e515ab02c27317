import type { AgoraOp, LoggerLike, Region } from '../agora/types.js';

/** What the simulator logs: a pino logger satisfies it. */
export type SimulatorLogger = Pick<LoggerLike, 'info' | 'warn' | 'error'>;

/** Shape of `data` in GET online-streams/{sid}: the EN spec says array, the ZH spec object. */
export type SidQueryShape = 'array' | 'object';

export const API_OPS: readonly AgoraOp[] = [
  'create-key',
  'query-key',
  'delete-key',
  'list-streams',
  'query-stream',
  'disconnect',
];

/** A scripted answer: every request matching all given fields gets `status` (count times). */
export interface FaultRule {
  op?: AgoraOp;
  appId?: string;
  /** Only requests to this region (e.g. one region of a multi-region key). */
  region?: Region;
  streamKey?: string;
  sid?: string;
  status: number;
  message?: string;
  /** How many matching requests this rule answers before it is spent; absent = forever. */
  count?: number;
}

/** The fault state as GET /_sim/faults reports it. */
export interface SimulatorFaults {
  latencyMs: number;
  errorRate: number;
  errorStatus: number;
  /** Restricts errorRate to these ops; absent = every op. */
  errorOps?: AgoraOp[];
  timeoutRate: number;
  /** Restricts timeoutRate to these ops; absent = every op. */
  timeoutOps?: AgoraOp[];
  /** Epoch ms until which every API request answers 503; 0 = no outage. */
  outageUntil: number;
  rules: FaultRule[];
}

/**
 * Body of PUT /_sim/faults: merged into the current faults. `null` (or 0 for numbers) clears a
 * field. `outageMs` starts an outage of that length from now; `rules` replaces the rule list.
 */
export interface FaultsPatch {
  latencyMs?: number | null;
  errorRate?: number | null;
  errorStatus?: number | null;
  errorOps?: AgoraOp[] | null;
  timeoutRate?: number | null;
  timeoutOps?: AgoraOp[] | null;
  outageMs?: number | null;
  rules?: FaultRule[] | null;
}

export interface SimulatorLimits {
  /** Create-class calls per second per App ID; 0 = unlimited. */
  createRps: number;
  deleteRps: number;
  queryRps: number;
}

export interface SimulatorConfig {
  /** Delay before a force-disconnected encoder whose key is still valid pushes again. */
  reconnectDelayMs: number;
  sidQueryShape: SidQueryShape;
}

export interface SimulatorOptions {
  /** @defaultValue '127.0.0.1' */
  host?: string;
  /** @defaultValue 0 (ephemeral; the CLI defaults to 8787) */
  port?: number;
  /** @defaultValue 'demo-customer' */
  customerId?: string;
  /** @defaultValue 'demo-secret' */
  customerSecret?: string;
  /** @defaultValue 50 (Agora's published limit) */
  createRps?: number;
  /** @defaultValue 50 */
  deleteRps?: number;
  /** @defaultValue 100 */
  queryRps?: number;
  /** @defaultValue 0 */
  latencyMs?: number;
  /** Probability 0..1 that an API request answers `errorStatus`. @defaultValue 0 */
  errorRate?: number;
  /** @defaultValue 503 */
  errorStatus?: number;
  /** Probability 0..1 that an API request is never answered. @defaultValue 0 */
  timeoutRate?: number;
  /** @defaultValue 500 */
  reconnectDelayMs?: number;
  /** @defaultValue 'array' */
  sidQueryShape?: SidQueryShape;
  /** Allowed distance between an HMAC request's Date and now; 0 = not checked. @defaultValue 300 */
  hmacClockSkewS?: number;
  /** Agora Notifications: where to POST signed stream events (none when unset). */
  ncsUrl?: string;
  /** The secret the events are signed with (required with ncsUrl). */
  ncsSecret?: string;
  /** Probability 0..1 that an event is delivered twice. @defaultValue 0 */
  ncsDuplicateRate?: number;
  /** Random extra delay 0..ms per event, so events can arrive out of order. @defaultValue 0 */
  ncsReorderMs?: number;
  /** Mask stream keys in event payloads (`7B***Qbs`). @defaultValue true */
  ncsMaskKeys?: boolean;
  logger?: SimulatorLogger;
}

export interface ResolvedSimulatorOptions extends SimulatorLimits, SimulatorConfig {
  host: string;
  port: number;
  customerId: string;
  customerSecret: string;
  latencyMs: number;
  errorRate: number;
  errorStatus: number;
  timeoutRate: number;
  hmacClockSkewS: number;
  ncsUrl: string | undefined;
  ncsSecret: string | undefined;
  ncsDuplicateRate: number;
  ncsReorderMs: number;
  ncsMaskKeys: boolean;
  logger: SimulatorLogger | undefined;
}

/** Thrown for bad options or bad admin input; the admin API answers it as 400. */
export class SimulatorInputError extends Error {
  override readonly name = 'SimulatorInputError';
  readonly retryable = false;
}

export function isNonNegativeInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

export function isRate(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v) && v >= 0 && v <= 1;
}

export function isErrorStatus(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 400 && v <= 599;
}

function intOption(name: string, value: number | undefined, fallback: number, max: number): number {
  if (value === undefined) return fallback;
  if (!isNonNegativeInt(value) || value > max) {
    throw new SimulatorInputError(`${name} must be an integer 0..${max}, got ${String(value)}`);
  }
  return value;
}

function rateOption(name: string, value: number | undefined): number {
  if (value === undefined) return 0;
  if (!isRate(value)) throw new SimulatorInputError(`${name} must be a number 0..1`);
  return value;
}

function nonEmpty(name: string, value: string | undefined, fallback: string): string {
  if (value === undefined) return fallback;
  if (typeof value !== 'string' || value.length === 0) {
    throw new SimulatorInputError(`${name} must be a non-empty string`);
  }
  return value;
}

function ncsUrlOption(url: string | undefined): string | undefined {
  if (url === undefined) return undefined;
  if (typeof url !== 'string' || !/^https?:\/\/\S+$/.test(url)) {
    throw new SimulatorInputError('ncsUrl must be an http(s) URL');
  }
  return url;
}

export function resolveSimulatorOptions(options: SimulatorOptions = {}): ResolvedSimulatorOptions {
  const errorStatus = options.errorStatus ?? 503;
  if (!isErrorStatus(errorStatus)) {
    throw new SimulatorInputError(`errorStatus must be an integer 400..599`);
  }
  const sidQueryShape = options.sidQueryShape ?? 'array';
  if (sidQueryShape !== 'array' && sidQueryShape !== 'object') {
    throw new SimulatorInputError(`sidQueryShape must be 'array' or 'object'`);
  }
  return {
    host: nonEmpty('host', options.host, '127.0.0.1'),
    port: intOption('port', options.port, 0, 65535),
    customerId: nonEmpty('customerId', options.customerId, 'demo-customer'),
    customerSecret: nonEmpty('customerSecret', options.customerSecret, 'demo-secret'),
    createRps: intOption('createRps', options.createRps, 50, 1_000_000),
    deleteRps: intOption('deleteRps', options.deleteRps, 50, 1_000_000),
    queryRps: intOption('queryRps', options.queryRps, 100, 1_000_000),
    latencyMs: intOption('latencyMs', options.latencyMs, 0, 600_000),
    errorRate: rateOption('errorRate', options.errorRate),
    errorStatus,
    timeoutRate: rateOption('timeoutRate', options.timeoutRate),
    reconnectDelayMs: intOption('reconnectDelayMs', options.reconnectDelayMs, 500, 3_600_000),
    sidQueryShape,
    hmacClockSkewS: intOption('hmacClockSkewS', options.hmacClockSkewS, 300, 86_400 * 365),
    ncsUrl: ncsUrlOption(options.ncsUrl),
    ncsSecret:
      options.ncsSecret === undefined ? undefined : nonEmpty('ncsSecret', options.ncsSecret, ''),
    ncsDuplicateRate: rateOption('ncsDuplicateRate', options.ncsDuplicateRate),
    ncsReorderMs: intOption('ncsReorderMs', options.ncsReorderMs, 0, 60_000),
    ncsMaskKeys: options.ncsMaskKeys ?? true,
    logger: options.logger,
  };
}
