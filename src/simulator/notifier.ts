import { randomUUID } from 'node:crypto';
import { signAgoraNotification } from '../notifications/agora-signature.js';
import type { GatewayEvent } from './gateway-state.js';
import { SimulatorInputError, isNonNegativeInt, isRate } from './simulator-options.js';
import type { SimulatorLogger } from './simulator-options.js';

/**
 * Agora Notifications as Media Gateway sends them (reference §8), posted to a configured URL:
 * signed (`Agora-Signature` SHA-1 and `Agora-Signature-V2` SHA-256 over the raw body), with the
 * stream key masked (`7B***Qbs`) by default. Delivery behaves like Agora's: a non-200 answer (or
 * no answer) is resent at once, then at growing intervals, at most 3 retries, each with a fresh
 * `notifyMs`; `duplicateRate` sends some events twice; `reorderMs` delays each event by a random
 * 0..reorderMs, so events of one stream can arrive out of order.
 */

export interface NotifierSettings {
  /** Where to POST; events are dropped (not counted) while unset. */
  url: string | undefined;
  secret: string | undefined;
  /** Probability 0..1 that an event is delivered twice (same noticeId). */
  duplicateRate: number;
  /** Each event waits a random 0..reorderMs before its first delivery. */
  reorderMs: number;
  /** Mask the stream key in payloads (Agora's examples do). */
  maskKeys: boolean;
}

/** Settings as GET /_sim/notifications shows them: the secret never leaves. */
export interface NotifierView extends Omit<NotifierSettings, 'secret'> {
  secretSet: boolean;
  stats: NotifierStats;
}

export interface NotifierStats {
  /** Events handed to the notifier while a URL was set. */
  events: number;
  /** HTTP deliveries made (retries and duplicates included). */
  deliveries: number;
  /** Deliveries answered 200. */
  delivered: number;
  retries: number;
  duplicates: number;
  /** Events given up after 3 retries. */
  failed: number;
  /** Events not yet answered 200 nor given up. */
  pending: number;
  byEventType: Record<string, number>;
}

export interface NotifierPatch {
  url?: string | null;
  secret?: string | null;
  duplicateRate?: number;
  reorderMs?: number;
  maskKeys?: boolean;
}

export interface Notifier {
  emit(event: GatewayEvent): void;
  settings(): NotifierView;
  configure(patch: NotifierPatch): void;
  /** Back to `start`, stats cleared, pending deliveries dropped. */
  reset(start: NotifierSettings): void;
  close(): void;
}

/** Resend delays after a failed delivery: at once, then growing (Agora: 3 retries). */
export const RETRY_DELAYS_MS = [0, 250, 1000] as const;
const DELIVERY_TIMEOUT_MS = 10_000;
const MEDIA_GATEWAY = 10;
const EVENT_TYPE = { connected: 1, disconnected: 2, aborted: 3 } as const;

/** `7B***Qbs`: the first 2 and last 3 characters, as in Agora's examples. */
export function maskAgoraKey(key: string): string {
  return key.length <= 8 ? '***' : `${key.slice(0, 2)}***${key.slice(-3)}`;
}

function rfc3339(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function rtcUid(uid: string): string | number {
  return /^[1-9]\d{0,9}$/.test(uid) ? Number(uid) : uid;
}

export function checkNotifierPatch(body: Record<string, unknown>): NotifierPatch {
  const patch: NotifierPatch = {};
  for (const key of Object.keys(body)) {
    if (!['url', 'secret', 'duplicateRate', 'reorderMs', 'maskKeys'].includes(key)) {
      throw new SimulatorInputError(
        `${key} is not allowed here; allowed: url, secret, duplicateRate, reorderMs, maskKeys`,
      );
    }
  }
  if (body.url !== undefined) {
    if (body.url !== null && (typeof body.url !== 'string' || !/^https?:\/\/\S+$/.test(body.url))) {
      throw new SimulatorInputError('url must be an http(s) URL or null');
    }
    patch.url = body.url;
  }
  if (body.secret !== undefined) {
    if (body.secret !== null && (typeof body.secret !== 'string' || body.secret === '')) {
      throw new SimulatorInputError('secret must be a non-empty string or null');
    }
    patch.secret = body.secret;
  }
  if (body.duplicateRate !== undefined) {
    if (!isRate(body.duplicateRate)) throw new SimulatorInputError('duplicateRate must be 0..1');
    patch.duplicateRate = body.duplicateRate;
  }
  if (body.reorderMs !== undefined) {
    if (!isNonNegativeInt(body.reorderMs) || body.reorderMs > 60_000) {
      throw new SimulatorInputError('reorderMs must be an integer 0..60000');
    }
    patch.reorderMs = body.reorderMs;
  }
  if (body.maskKeys !== undefined) {
    if (typeof body.maskKeys !== 'boolean')
      throw new SimulatorInputError('maskKeys must be a boolean');
    patch.maskKeys = body.maskKeys;
  }
  return patch;
}

function emptyStats(): NotifierStats {
  return {
    events: 0,
    deliveries: 0,
    delivered: 0,
    retries: 0,
    duplicates: 0,
    failed: 0,
    pending: 0,
    byEventType: {},
  };
}

export function createNotifier(start: NotifierSettings, logger?: SimulatorLogger): Notifier {
  let settings: NotifierSettings = { ...start };
  let stats = emptyStats();
  let generation = 0;
  const timers = new Set<NodeJS.Timeout>();
  const inFlight = new Set<AbortController>();

  const later = (ms: number, fn: () => void): void => {
    const t = setTimeout(() => {
      timers.delete(t);
      fn();
    }, ms);
    t.unref();
    timers.add(t);
  };

  function toBody(event: GatewayEvent): {
    eventType: number;
    sid: string;
    payload: Record<string, unknown>;
  } {
    const mask = (key: string): string => (settings.maskKeys ? maskAgoraKey(key) : key);
    if (event.type === 'aborted') {
      return {
        eventType: EVENT_TYPE.aborted,
        sid: event.sid,
        payload: {
          sid: event.sid,
          region: event.region,
          domain: `rtls-ingress-prod-${event.region}.agoramdn.com`,
          streamKey: mask(event.streamKey),
          rtcInfo: { channel: event.channel, uid: rtcUid(event.uid) },
          beginAt: rfc3339(event.atMs),
          errorCode: event.errorCode,
          reason: event.reason,
        },
      };
    }
    const s = event.stream;
    const payload: Record<string, unknown> = {
      sid: s.sid,
      region: s.region,
      domain: `rtls-ingress-prod-${s.region}.agoramdn.com`,
      streamKey: mask(s.streamKey),
      rtcInfo: { channel: s.channel, uid: rtcUid(s.uid) },
      beginAt: rfc3339(s.startedAt),
    };
    if (event.type === 'disconnected') payload.endAt = rfc3339(event.endAtMs);
    return { eventType: EVENT_TYPE[event.type], sid: s.sid, payload };
  }

  /** One HTTP delivery; true when answered 200. */
  async function post(url: string, secret: string, body: string): Promise<boolean> {
    const abort = new AbortController();
    inFlight.add(abort);
    const timer = setTimeout(() => abort.abort(), DELIVERY_TIMEOUT_MS);
    stats.deliveries += 1;
    try {
      const signatures = signAgoraNotification(body, secret);
      const res = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'agora-signature': signatures.v1,
          'agora-signature-v2': signatures.v2,
        },
        body,
        signal: abort.signal,
      });
      await res.arrayBuffer().catch(() => undefined);
      return res.status === 200;
    } catch {
      return false;
    } finally {
      clearTimeout(timer);
      inFlight.delete(abort);
    }
  }

  /** Delivers one notice with up to 3 retries; `notifyMs` is fresh on every try. */
  function deliver(
    gen: number,
    noticeId: string,
    shape: ReturnType<typeof toBody>,
    attempt: number,
    onDone: (ok: boolean) => void,
  ): void {
    const { url, secret } = settings;
    if (gen !== generation || url === undefined || secret === undefined) return;
    const body = JSON.stringify({
      noticeId,
      productId: MEDIA_GATEWAY,
      eventType: shape.eventType,
      notifyMs: Date.now(),
      sid: shape.sid,
      payload: shape.payload,
    });
    void post(url, secret, body).then((ok) => {
      if (gen !== generation) return;
      if (ok) {
        stats.delivered += 1;
        onDone(true);
        return;
      }
      const delay = RETRY_DELAYS_MS[attempt];
      if (delay === undefined) {
        logger?.warn({ noticeId, attempts: attempt + 1 }, 'simulator: notification given up');
        onDone(false);
        return;
      }
      stats.retries += 1;
      later(delay, () => deliver(gen, noticeId, shape, attempt + 1, onDone));
    });
  }

  return {
    emit(event) {
      if (settings.url === undefined || settings.secret === undefined) return;
      const shape = toBody(event);
      const gen = generation;
      const noticeId = randomUUID();
      stats.events += 1;
      stats.pending += 1;
      const type = String(shape.eventType);
      stats.byEventType[type] = (stats.byEventType[type] ?? 0) + 1;
      const copies = Math.random() < settings.duplicateRate ? 2 : 1;
      if (copies === 2) stats.duplicates += 1;
      let outstanding = copies;
      let anyOk = false;
      const onDone = (ok: boolean): void => {
        anyOk ||= ok;
        outstanding -= 1;
        if (outstanding > 0 || gen !== generation) return;
        stats.pending -= 1;
        if (!anyOk) stats.failed += 1;
      };
      for (let i = 0; i < copies; i += 1) {
        const delay =
          settings.reorderMs > 0 ? Math.floor(Math.random() * (settings.reorderMs + 1)) : 0;
        later(delay, () => deliver(gen, noticeId, shape, 0, onDone));
      }
    },
    settings() {
      const { secret, ...rest } = settings;
      return {
        ...rest,
        secretSet: secret !== undefined,
        stats: { ...stats, byEventType: { ...stats.byEventType } },
      };
    },
    configure(patch) {
      const next = { ...settings };
      if (patch.url !== undefined) next.url = patch.url ?? undefined;
      if (patch.secret !== undefined) next.secret = patch.secret ?? undefined;
      if (patch.duplicateRate !== undefined) next.duplicateRate = patch.duplicateRate;
      if (patch.reorderMs !== undefined) next.reorderMs = patch.reorderMs;
      if (patch.maskKeys !== undefined) next.maskKeys = patch.maskKeys;
      settings = next;
    },
    reset(startSettings) {
      generation += 1;
      for (const t of timers) clearTimeout(t);
      timers.clear();
      settings = { ...startSettings };
      stats = emptyStats();
    },
    close() {
      generation += 1;
      for (const t of timers) clearTimeout(t);
      timers.clear();
      for (const a of inFlight) a.abort();
      inFlight.clear();
    },
  };
}
