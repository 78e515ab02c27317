import { randomBytes, randomInt, randomUUID } from 'node:crypto';
import type { Region } from '../agora/types.js';
import type { SimStream } from './admin-types.js';

export interface KeyRecord {
  appId: string;
  region: Region;
  streamKey: string;
  channel: string;
  uid: string;
  expiresAfter: number;
  templateId?: string;
  createdAtMs: number;
  /** Unix seconds as a string, as Agora answers it. */
  createdAt: string;
  revoked: boolean;
  /** SIDs currently live on this key. */
  liveSids: Set<string>;
}

export interface EncoderRecord {
  appId: string;
  region: Region;
  streamKey: string;
  reconnect: boolean;
  /** The live stream, or undefined while waiting to reconnect. */
  sid: string | undefined;
  timer: NodeJS.Timeout | undefined;
}

/** A live stream: what the admin API reports, plus what only the Agora API and the encoder need. */
export interface StreamRecord extends SimStream {
  beginAt: string;
  bitrate: number;
  encoder: EncoderRecord;
}

export type KeyLookup =
  { kind: 'found'; key: KeyRecord } | { kind: 'not-found' } | { kind: 'other-app' };

export type StartPushResult =
  | { ok: true; stream: StreamRecord }
  | { ok: false; status: number; message: string; errorCode: number };

export interface NewKeySettings {
  channel: string;
  uid: string;
  expiresAfter: number;
  templateId?: string;
}

export interface GatewayStats {
  liveStreams: number;
  keys: number;
  revokedKeys: number;
  encoders: number;
  pendingReconnects: number;
  reconnects: number;
  refusedReconnects: number;
}

export interface GatewayState {
  createKey(appId: string, region: Region, settings: NewKeySettings, nowMs: number): KeyRecord;
  /**
   * One key valid in several regions, as a script-generated key is (reference §2.3: revoking it
   * completely takes a DELETE in every region). Each region has its own record: revoked, and
   * pushed to, on its own.
   */
  createMultiRegionKey(
    appId: string,
    regions: readonly Region[],
    settings: NewKeySettings,
    nowMs: number,
  ): KeyRecord[];
  /** Region-scoped lookup; revoked keys are not found; a key of another App ID is `other-app`. */
  lookupKey(appId: string, region: Region, streamKey: string): KeyLookup;
  /** Revokes the key; running pushes keep running (reference §2.3). */
  revokeKey(appId: string, region: Region, streamKey: string): KeyLookup;
  listStreams(appId: string, region: Region, channel?: string): Iterable<StreamRecord>;
  getStream(appId: string, region: Region, sid: string): StreamRecord | undefined;
  /** Ends the stream; its encoder retries after reconnectDelayMs if it reconnects. */
  disconnect(appId: string, region: Region, sid: string): boolean;
  /** An encoder starts pushing on the key (refused for unknown, revoked or expired keys). */
  startEncoder(
    appId: string,
    region: Region,
    streamKey: string,
    reconnect: boolean,
    nowMs: number,
  ): StartPushResult;
  /** Every key record (one per region a key lives in). */
  allKeys(): Iterable<KeyRecord>;
  allStreams(): Iterable<StreamRecord>;
  /** The live streams of a key, in every region. */
  streamsOfKey(streamKey: string): StreamRecord[];
  stats(): GatewayStats;
  setReconnectDelayMs(ms: number): void;
  /** Forgets everything and cancels pending reconnects. */
  reset(): void;
}

/** What Agora Notifications would report about a push (reference §8), for the notifier. */
export type GatewayEvent =
  | { type: 'connected'; stream: StreamRecord }
  | { type: 'disconnected'; stream: StreamRecord; endAtMs: number }
  | {
      type: 'aborted';
      sid: string;
      appId: string;
      region: Region;
      streamKey: string;
      channel: string;
      uid: string;
      atMs: number;
      errorCode: number;
      reason: string;
    };

export interface GatewayStateOptions {
  reconnectDelayMs: number;
  now?: () => number;
  /** Called for every push that starts, ends or is refused. Must not throw. */
  onEvent?: (event: GatewayEvent) => void;
}

export function ingestUrl(region: Region, streamKey: string): string {
  return `rtls-ingress-prod-${region}.agoramdn.com/live/${streamKey}`;
}

/** `YYYY-MM-DD HH:MM:SS.mmm` (UTC), the REST list's `beginAt` format. */
export function formatBeginAt(ms: number): string {
  const iso = new Date(ms).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 23)}`;
}

export function isExpired(key: KeyRecord, nowMs: number): boolean {
  return key.expiresAfter > 0 && nowMs >= key.createdAtMs + key.expiresAfter * 1000;
}

function addTo(index: Map<string, Map<string, StreamRecord>>, id: string, s: StreamRecord): void {
  let m = index.get(id);
  if (m === undefined) {
    m = new Map();
    index.set(id, m);
  }
  m.set(s.sid, s);
}

function removeFrom(index: Map<string, Map<string, StreamRecord>>, id: string, sid: string): void {
  const m = index.get(id);
  if (m === undefined) return;
  m.delete(sid);
  if (m.size === 0) index.delete(id);
}

/**
 * Keys, live streams and encoders. Keys are random so one map by key serves every lookup; it
 * holds the key's record per region (one region, unless created as a multi-region key). Streams are indexed by SID, by appId|region and by appId|region|channel, so each API call is
 * O(1) plus the size of its answer.
 */
export function createGatewayState(options: GatewayStateOptions): GatewayState {
  const now = options.now ?? Date.now;
  let reconnectDelayMs = options.reconnectDelayMs;
  /** Key → its record per region. */
  const keys = new Map<string, Map<Region, KeyRecord>>();
  let keyRecords = 0;
  const streams = new Map<string, StreamRecord>();
  const byScope = new Map<string, Map<string, StreamRecord>>();
  const byChannel = new Map<string, Map<string, StreamRecord>>();
  const encoders = new Set<EncoderRecord>();
  let revokedKeys = 0;
  let reconnects = 0;
  let refusedReconnects = 0;
  let pendingReconnects = 0;
  const emit = options.onEvent ?? (() => undefined);

  /** A refused push on a known key: Agora reports it as live_stream_aborted with a fresh SID. */
  function emitRefused(
    key: KeyRecord | undefined,
    refusal: { message: string; errorCode: number },
    atMs: number,
  ): void {
    if (key === undefined) return;
    emit({
      type: 'aborted',
      sid: randomUUID(),
      appId: key.appId,
      region: key.region,
      streamKey: key.streamKey,
      channel: key.channel,
      uid: key.uid,
      atMs,
      errorCode: refusal.errorCode,
      reason: refusal.message,
    });
  }

  function keyIn(region: Region, streamKey: string): KeyRecord | undefined {
    return keys.get(streamKey)?.get(region);
  }

  /**
   * Revoked → not found; another App ID's key (in any region) → other-app; not in this region →
   * not found. For a one-region key this is the order Agora's answers suggest.
   */
  function lookupKey(appId: string, region: Region, streamKey: string): KeyLookup {
    const records = keys.get(streamKey);
    if (records === undefined) return { kind: 'not-found' };
    const key = records.get(region);
    if (key !== undefined && !key.revoked) {
      return key.appId === appId ? { kind: 'found', key } : { kind: 'other-app' };
    }
    for (const other of records.values()) {
      if (!other.revoked && other.appId !== appId) return { kind: 'other-app' };
    }
    return { kind: 'not-found' };
  }

  function addKey(key: KeyRecord): void {
    let records = keys.get(key.streamKey);
    if (records === undefined) {
      records = new Map();
      keys.set(key.streamKey, records);
    }
    records.set(key.region, key);
    keyRecords += 1;
  }

  function newKeyRecord(
    appId: string,
    region: Region,
    streamKey: string,
    settings: NewKeySettings,
    nowMs: number,
  ): KeyRecord {
    const key: KeyRecord = {
      appId,
      region,
      streamKey,
      channel: settings.channel,
      uid: settings.uid,
      expiresAfter: settings.expiresAfter,
      createdAtMs: nowMs,
      createdAt: String(Math.floor(nowMs / 1000)),
      revoked: false,
      liveSids: new Set(),
    };
    if (settings.templateId !== undefined) key.templateId = settings.templateId;
    return key;
  }

  function getStream(appId: string, region: Region, sid: string): StreamRecord | undefined {
    const s = streams.get(sid);
    return s !== undefined && s.appId === appId && s.region === region ? s : undefined;
  }

  function newStreamKey(): string {
    for (;;) {
      const k = randomBytes(16).toString('base64url');
      if (!keys.has(k)) return k;
    }
  }

  function pushRefusal(key: KeyRecord | undefined, appId: string, region: Region, nowMs: number) {
    if (key === undefined || key.appId !== appId || key.region !== region) {
      return { status: 404, message: 'Unknown stream key.', errorCode: 3 };
    }
    if (key.revoked) return { status: 403, message: 'Stream key revoked.', errorCode: 2 };
    if (isExpired(key, nowMs)) return { status: 403, message: 'Stream key expired.', errorCode: 2 };
    return undefined;
  }

  function startStream(key: KeyRecord, encoder: EncoderRecord, nowMs: number): StreamRecord {
    const sid = randomUUID();
    const stream: StreamRecord = {
      sid,
      appId: key.appId,
      region: key.region,
      streamKey: key.streamKey,
      channel: key.channel,
      uid: key.uid,
      url: ingestUrl(key.region, key.streamKey),
      startedAt: nowMs,
      beginAt: formatBeginAt(nowMs),
      bitrate: 2000 + randomInt(3000),
      encoder,
    };
    streams.set(sid, stream);
    addTo(byScope, `${key.appId}|${key.region}`, stream);
    addTo(byChannel, `${key.appId}|${key.region}|${key.channel}`, stream);
    key.liveSids.add(sid);
    encoder.sid = sid;
    emit({ type: 'connected', stream });
    return stream;
  }

  function endStream(stream: StreamRecord): void {
    streams.delete(stream.sid);
    removeFrom(byScope, `${stream.appId}|${stream.region}`, stream.sid);
    removeFrom(byChannel, `${stream.appId}|${stream.region}|${stream.channel}`, stream.sid);
    keyIn(stream.region, stream.streamKey)?.liveSids.delete(stream.sid);
    stream.encoder.sid = undefined;
  }

  function scheduleReconnect(encoder: EncoderRecord): void {
    pendingReconnects += 1;
    encoder.timer = setTimeout(() => {
      encoder.timer = undefined;
      pendingReconnects -= 1;
      const t = now();
      const key = keyIn(encoder.region, encoder.streamKey);
      const refusal = pushRefusal(key, encoder.appId, encoder.region, t);
      if (key === undefined || refusal !== undefined) {
        // The takedown worked: the encoder's retry is refused at ingest and it gives up.
        refusedReconnects += 1;
        encoders.delete(encoder);
        if (refusal !== undefined) emitRefused(key, refusal, t);
        return;
      }
      reconnects += 1;
      startStream(key, encoder, t);
    }, reconnectDelayMs);
    encoder.timer.unref();
  }

  return {
    createKey(appId, region, settings, nowMs) {
      const key = newKeyRecord(appId, region, newStreamKey(), settings, nowMs);
      addKey(key);
      return key;
    },
    createMultiRegionKey(appId, regions, settings, nowMs) {
      const streamKey = newStreamKey();
      return [...new Set(regions)].map((region) => {
        const key = newKeyRecord(appId, region, streamKey, settings, nowMs);
        addKey(key);
        return key;
      });
    },
    lookupKey,
    revokeKey(appId, region, streamKey) {
      const found = lookupKey(appId, region, streamKey);
      if (found.kind === 'found') {
        found.key.revoked = true;
        revokedKeys += 1;
      }
      return found;
    },
    listStreams(appId, region, channel) {
      const m =
        channel === undefined
          ? byScope.get(`${appId}|${region}`)
          : byChannel.get(`${appId}|${region}|${channel}`);
      return m === undefined ? [] : m.values();
    },
    getStream,
    disconnect(appId, region, sid) {
      const s = getStream(appId, region, sid);
      if (s === undefined) return false;
      endStream(s);
      emit({ type: 'disconnected', stream: s, endAtMs: now() });
      if (s.encoder.reconnect) scheduleReconnect(s.encoder);
      else encoders.delete(s.encoder);
      return true;
    },
    startEncoder(appId, region, streamKey, reconnect, nowMs) {
      const key = keyIn(region, streamKey);
      const refusal = pushRefusal(key, appId, region, nowMs);
      if (key === undefined || refusal !== undefined) {
        if (refusal !== undefined) emitRefused(key, refusal, nowMs);
        return {
          ok: false,
          ...(refusal ?? { status: 404, message: 'Unknown stream key.', errorCode: 3 }),
        };
      }
      const encoder: EncoderRecord = {
        appId,
        region,
        streamKey,
        reconnect,
        sid: undefined,
        timer: undefined,
      };
      encoders.add(encoder);
      return { ok: true, stream: startStream(key, encoder, nowMs) };
    },
    *allKeys() {
      for (const records of keys.values()) yield* records.values();
    },
    allStreams: () => streams.values(),
    streamsOfKey(streamKey) {
      const out: StreamRecord[] = [];
      for (const key of keys.get(streamKey)?.values() ?? []) {
        for (const sid of key.liveSids) {
          const s = streams.get(sid);
          if (s !== undefined) out.push(s);
        }
      }
      return out;
    },
    stats: () => ({
      liveStreams: streams.size,
      keys: keyRecords - revokedKeys,
      revokedKeys,
      encoders: encoders.size,
      pendingReconnects,
      reconnects,
      refusedReconnects,
    }),
    setReconnectDelayMs(ms) {
      reconnectDelayMs = ms;
    },
    reset() {
      for (const e of encoders) if (e.timer !== undefined) clearTimeout(e.timer);
      encoders.clear();
      keys.clear();
      keyRecords = 0;
      streams.clear();
      byScope.clear();
      byChannel.clear();
      revokedKeys = 0;
      reconnects = 0;
      refusedReconnects = 0;
      pendingReconnects = 0;
    },
  };
}
