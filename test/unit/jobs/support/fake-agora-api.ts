import { AgoraHttpError } from '../../../../src/agora/errors.js';
import type {
  AgoraApi,
  AgoraOp,
  CallOptions,
  CreateStreamKeyInput,
  KeyRef,
  OnlineStream,
  Region,
  SidRef,
  StreamKeyInfo,
} from '../../../../src/agora/types.js';

/** One recorded call, in order. */
export interface FakeCall {
  op: AgoraOp;
  region: Region;
  appId: string;
  sid?: string;
  streamKey?: string;
  channel?: string;
}

interface Session extends OnlineStream {
  region: Region;
  appId: string;
}

/**
 * An in-memory AgoraApi (our own interface, not a mock of ky) that behaves like the Media
 * Gateway where it matters for takedowns: keys are per region; a disconnected session whose key
 * still exists in its region reconnects at once with a new SID (the failure mode we prevent);
 * 404s are `not-found` results. Faults: `failNext(op, status)` throws an AgoraHttpError.
 */
export class FakeAgoraApi implements AgoraApi {
  readonly calls: FakeCall[] = [];
  private readonly keys = new Map<string, StreamKeyInfo>();
  private readonly sessions = new Map<string, Session>();
  private readonly faults: { op: AgoraOp; status: number; region?: Region }[] = [];
  private nextSid = 1;
  private nextRequest = 1;
  /** Reconnect a cut session when its key still exists (true = real encoder behaviour). */
  reconnectWhenKeyExists = true;
  /** Called before every list-streams call is answered (inject a session that slips in). */
  beforeList: ((callNumber: number) => void) | undefined;
  private listCalls = 0;

  constructor(readonly domain = 'rtls-ingress-prod-na.agoramdn.com') {}

  addKey(ref: KeyRef & { channel: string }): void {
    this.keys.set(keyId(ref), {
      streamKey: ref.streamKey,
      channel: ref.channel,
      uid: '1',
      expiresAfter: 0,
      createdAt: '1700000000',
    });
  }

  hasKey(ref: KeyRef): boolean {
    return this.keys.has(keyId(ref));
  }

  /** A push on a key (bypassing the key check: used to model a push that raced the revocation). */
  startSession(ref: {
    region: Region;
    appId: string;
    streamKey: string | undefined;
    channel: string;
    sid?: string;
  }): string {
    const sid = ref.sid ?? `sid-${String(this.nextSid++).padStart(4, '0')}`;
    this.sessions.set(sid, {
      region: ref.region,
      appId: ref.appId,
      sid,
      channel: ref.channel,
      uid: '1',
      url:
        ref.streamKey === undefined
          ? `${this.domain}/other/path`
          : `${this.domain}/live/${ref.streamKey}`,
      streamKey: ref.streamKey,
      status: 'Running',
      beginAt: '2026-01-01 00:00:00.000',
    });
    return sid;
  }

  /** The encoder stops pushing on its own (no API call). */
  endSession(sid: string): void {
    this.sessions.delete(sid);
  }

  liveSids(filter?: { streamKey?: string }): string[] {
    return [...this.sessions.values()]
      .filter((s) => filter?.streamKey === undefined || s.streamKey === filter.streamKey)
      .map((s) => s.sid);
  }

  failNext(op: AgoraOp, status: number, times = 1, region?: Region): void {
    for (let i = 0; i < times; i++)
      this.faults.push(region === undefined ? { op, status } : { op, status, region });
  }

  ops(): string[] {
    return this.calls.map((c) => (c.op === 'delete-key' ? `${c.op}:${c.region}` : c.op));
  }

  private answer(call: FakeCall): string {
    this.calls.push(call);
    const requestId = `req-${this.nextRequest++}`;
    const index = this.faults.findIndex(
      (f) => f.op === call.op && (f.region === undefined || f.region === call.region),
    );
    if (index >= 0) {
      const [fault] = this.faults.splice(index, 1);
      throw new AgoraHttpError({
        op: call.op,
        status: fault?.status ?? 500,
        agoraMessage: 'injected',
        requestId,
      });
    }
    return requestId;
  }

  createStreamKey(
    input: CreateStreamKeyInput,
    _opts?: CallOptions,
  ): Promise<{ requestId: string; key: StreamKeyInfo }> {
    const requestId = this.answer({ op: 'create-key', region: input.region, appId: input.appId });
    const streamKey = `key${this.keys.size + 1}`;
    this.addKey({ region: input.region, appId: input.appId, streamKey, channel: input.channel });
    const key = this.keys.get(keyId({ region: input.region, appId: input.appId, streamKey }));
    if (key === undefined) throw new Error('unreachable');
    return Promise.resolve({ requestId, key });
  }

  queryStreamKey(ref: KeyRef, _opts?: CallOptions) {
    const requestId = this.answer({ op: 'query-key', ...ref });
    const key = this.keys.get(keyId(ref));
    return Promise.resolve(
      key === undefined
        ? { requestId, result: 'not-found' as const }
        : { requestId, result: 'found' as const, key: { ...key } },
    );
  }

  deleteStreamKey(ref: KeyRef, _opts?: CallOptions) {
    const requestId = this.answer({ op: 'delete-key', ...ref });
    const existed = this.keys.delete(keyId(ref));
    return Promise.resolve({
      requestId,
      result: existed ? ('deleted' as const) : ('not-found' as const),
    });
  }

  listOnlineStreams(ref: { region: Region; appId: string; channel?: string }, _opts?: CallOptions) {
    const requestId = this.answer({ op: 'list-streams', ...ref });
    this.listCalls++;
    this.beforeList?.(this.listCalls);
    const streams = [...this.sessions.values()]
      .filter((s) => s.region === ref.region && s.appId === ref.appId)
      .filter((s) => ref.channel === undefined || s.channel === ref.channel)
      .map(({ region: _r, appId: _a, ...stream }) => stream);
    return Promise.resolve({ requestId, streams });
  }

  queryOnlineStream(ref: SidRef, _opts?: CallOptions) {
    const requestId = this.answer({ op: 'query-stream', ...ref });
    const s = this.sessions.get(ref.sid);
    if (s === undefined || s.region !== ref.region || s.appId !== ref.appId) {
      return Promise.resolve({ requestId, result: 'not-found' as const });
    }
    const { region: _r, appId: _a, ...stream } = s;
    return Promise.resolve({ requestId, result: 'found' as const, stream });
  }

  disconnectStream(ref: SidRef, _opts?: CallOptions) {
    const requestId = this.answer({ op: 'disconnect', ...ref });
    const s = this.sessions.get(ref.sid);
    if (s === undefined || s.region !== ref.region || s.appId !== ref.appId) {
      return Promise.resolve({ requestId, result: 'not-found' as const });
    }
    this.sessions.delete(ref.sid);
    if (
      this.reconnectWhenKeyExists &&
      s.streamKey !== undefined &&
      this.keys.has(keyId({ region: s.region, appId: s.appId, streamKey: s.streamKey }))
    ) {
      this.startSession({
        region: s.region,
        appId: s.appId,
        streamKey: s.streamKey,
        channel: s.channel,
      });
    }
    return Promise.resolve({ requestId, result: 'disconnected' as const });
  }
}

function keyId(ref: KeyRef): string {
  return `${ref.region}/${ref.appId}/${ref.streamKey}`;
}
