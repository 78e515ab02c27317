/** Agora Media Gateway regions (reference §1). Lowercase, path parameter. */
export const REGIONS = ['na', 'eu', 'ap', 'cn'] as const;
export type Region = (typeof REGIONS)[number];

/** Rate-limit classes Agora counts per App ID (reference §4.2). */
export type CallClass = 'create' | 'delete' | 'query';

/** Stable names of the API operations, used in logs, metrics and the simulator's call log. */
export type AgoraOp =
  'create-key' | 'query-key' | 'delete-key' | 'list-streams' | 'query-stream' | 'disconnect';

export const OP_CLASS: Readonly<Record<AgoraOp, CallClass>> = {
  'create-key': 'create',
  'query-key': 'query',
  'delete-key': 'delete',
  'list-streams': 'query',
  'query-stream': 'query',
  disconnect: 'delete',
};

export interface StreamKeyInfo {
  streamKey: string;
  channel: string;
  uid: string;
  expiresAfter: number;
  createdAt: string;
}

export interface OnlineStream {
  sid: string;
  channel: string;
  uid: string;
  /** `$domain/live/$streamKey`, no scheme. */
  url: string;
  /** Parsed from the last segment of `url`; undefined when the url has no key segment. */
  streamKey: string | undefined;
  status: string;
  beginAt: string;
}

/** Minimal logger shape (pino's Logger satisfies it); the client knows nothing of pino. */
export interface LoggerLike {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  child(bindings: Record<string, unknown>): LoggerLike;
}

/** Per-call options. */
export interface CallOptions {
  signal?: AbortSignal;
  /** Logger scoped to the caller (e.g. a job's child logger); one line per call goes here. */
  logger?: LoggerLike;
  /**
   * The call serves an urgent takedown: a rate limiter in front of the client lets it ahead of
   * bulk calls. The client itself ignores it. Read per call, so a job upgraded while it runs
   * takes the urgent lane from its next call.
   */
  urgent?: boolean;
  /** Told about this call once it finished (the job's audit trail), like the client's onCall. */
  onCall?: (info: CallInfo) => void;
}

/** What the client reports about every finished HTTP exchange (for metrics). */
export interface CallInfo {
  op: AgoraOp;
  appId: string;
  region: Region;
  /** HTTP status, or 0 when no response arrived (network error, timeout). */
  status: number;
  durationMs: number;
  requestId: string;
}

/** What is known when an HTTP exchange starts (for tracing). */
export interface CallStart {
  op: AgoraOp;
  method: 'GET' | 'POST' | 'DELETE';
  appId: string;
  region: Region;
}

/**
 * Starts tracing one exchange and returns the function that ends it with the outcome (`error`
 * set when the call failed). Called synchronously inside the caller's context, so a tracer can
 * parent the span on whatever span is active (the takedown step).
 */
export type CallTracer = (
  call: CallStart,
) => (info: CallInfo, error?: { name: string; retryable: boolean }) => void;

export interface KeyRef {
  region: Region;
  appId: string;
  streamKey: string;
}

export interface SidRef {
  region: Region;
  appId: string;
  sid: string;
}

export interface CreateStreamKeyInput {
  region: Region;
  appId: string;
  channel: string;
  uid: string;
  expiresAfter: number;
  templateId?: string;
}

/** Every result carries the X-Request-ID the server answered with (or the one sent). */
export interface Answered {
  requestId: string;
}

export type QueryKeyResult =
  (Answered & { result: 'found'; key: StreamKeyInfo }) | (Answered & { result: 'not-found' });
export type DeleteKeyResult = Answered & { result: 'deleted' | 'not-found' };
export type ListStreamsResult = Answered & { streams: OnlineStream[] };
export type QueryStreamResult =
  (Answered & { result: 'found'; stream: OnlineStream }) | (Answered & { result: 'not-found' });
export type DisconnectResult = Answered & { result: 'disconnected' | 'not-found' };

/** The Media Gateway calls a takedown needs. `createAgoraClient` implements it over HTTP. */
export interface AgoraApi {
  createStreamKey(
    input: CreateStreamKeyInput,
    opts?: CallOptions,
  ): Promise<Answered & { key: StreamKeyInfo }>;
  queryStreamKey(ref: KeyRef, opts?: CallOptions): Promise<QueryKeyResult>;
  deleteStreamKey(ref: KeyRef, opts?: CallOptions): Promise<DeleteKeyResult>;
  listOnlineStreams(
    ref: { region: Region; appId: string; channel?: string },
    opts?: CallOptions,
  ): Promise<ListStreamsResult>;
  queryOnlineStream(ref: SidRef, opts?: CallOptions): Promise<QueryStreamResult>;
  disconnectStream(ref: SidRef, opts?: CallOptions): Promise<DisconnectResult>;
}
