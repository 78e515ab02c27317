import {
  describeAllowed,
  isValidAppId,
  isValidChannel,
  isValidRegion,
  isValidSid,
  isValidStreamKey,
  isValidUid,
  previewValue,
} from '../agora/paths.js';
import type { Region } from '../agora/types.js';
import type { FieldError } from '../jobs/index.js';

/**
 * An Agora Notifications (NCS) event for Media Gateway, validated. Reference §8: `productId` 10,
 * event types 1–4; `payload` carries `sid`, `region`, `streamKey` (possibly masked), `rtcInfo`.
 */

export const MEDIA_GATEWAY_PRODUCT_ID = 10;

export const EVENT_NAMES = {
  1: 'live_stream_connected',
  2: 'live_stream_disconnected',
  3: 'live_stream_aborted',
  4: 'live_profile_updated',
} as const;
export type EventName = (typeof EVENT_NAMES)[keyof typeof EVENT_NAMES];
/** Metric label of an event: its name, `unknown` (type not known) or `other-product`. */
export type EventLabel = EventName | 'unknown' | 'other-product';
export const EVENT_LABELS: readonly EventLabel[] = [
  ...Object.values(EVENT_NAMES),
  'unknown',
  'other-product',
];

/** `live_stream_aborted` errorCode 2: the key is invalid (expired or deleted). */
export const ABORT_KEY_INVALID = 2;

/** What the enforcement pipeline needs of one Media Gateway event. */
export interface StreamEvent {
  noticeId: string;
  eventType: 1 | 2 | 3 | 4;
  event: EventName;
  notifyMs: number;
  /** Epoch ms the intake accepted it. */
  receivedAt: number;
  appId: string;
  sid: string;
  region: Region;
  /** The key when the payload carries it unmasked. */
  streamKey?: string;
  /** The payload's key when it is masked (`7B***Qbs`); never a usable key. */
  maskedKey?: string;
  channel?: string;
  uid?: string;
  /** live_stream_aborted only. */
  errorCode?: number;
  beginAt?: string;
  endAt?: string;
}

export type ParsedNotification =
  | { kind: 'stream-event'; event: StreamEvent }
  | { kind: 'ignored'; label: EventLabel; noticeId: string };

const NOTICE_ID_RE = /^[A-Za-z0-9_-]{1,128}$/;
// A masked key as Agora prints it: a few characters, a run of * (or …), a few characters.
const MASKED_KEY_RE = /^[A-Za-z0-9._~-]{0,16}(\*+|…)[A-Za-z0-9._~-]{0,16}$/;
const TIME_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:?\d{2})$/;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function own(o: Record<string, unknown>, k: string): unknown {
  return Object.hasOwn(o, k) ? o[k] : undefined;
}

function isWholeNumber(v: unknown, min: number): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= min;
}

/**
 * Validates a decoded NCS body. Events of another product or an unknown type are `ignored`
 * (answered 200, counted); a Media Gateway event with a bad field → errors naming the field.
 * `appId` is the App ID the intake serves (Agora's body does not carry one).
 */
export function parseAgoraNotification(
  body: unknown,
  context: { appId: string | undefined; receivedAt: number },
): { ok: true; value: ParsedNotification } | { ok: false; errors: FieldError[] } {
  if (!isObject(body)) {
    return {
      ok: false,
      errors: [{ field: '(body)', message: 'the body must be a JSON object (an Agora NCS event)' }],
    };
  }
  const errors: FieldError[] = [];
  const add = (field: string, message: string): void => void errors.push({ field, message });

  const noticeId = own(body, 'noticeId');
  if (typeof noticeId !== 'string' || !NOTICE_ID_RE.test(noticeId)) {
    add(
      'noticeId',
      `noticeId must be 1–128 characters A-Z a-z 0-9 - _; got ${previewValue(noticeId)}`,
    );
  }
  const productId = own(body, 'productId');
  if (!isWholeNumber(productId, 0))
    add('productId', `productId must be a whole number; got ${previewValue(productId)}`);
  const eventType = own(body, 'eventType');
  if (!isWholeNumber(eventType, 0))
    add('eventType', `eventType must be a whole number; got ${previewValue(eventType)}`);
  const notifyMs = own(body, 'notifyMs');
  if (!isWholeNumber(notifyMs, 0))
    add(
      'notifyMs',
      `notifyMs must be a whole number of Unix milliseconds; got ${previewValue(notifyMs)}`,
    );
  if (errors.length > 0) return { ok: false, errors };

  const id = noticeId as string;
  if (productId !== MEDIA_GATEWAY_PRODUCT_ID) {
    return { ok: true, value: { kind: 'ignored', label: 'other-product', noticeId: id } };
  }
  const type = eventType as number;
  if (!Object.hasOwn(EVENT_NAMES, type)) {
    return { ok: true, value: { kind: 'ignored', label: 'unknown', noticeId: id } };
  }

  const payload = own(body, 'payload');
  if (!isObject(payload)) {
    return {
      ok: false,
      errors: [
        { field: 'payload', message: `payload must be an object; got ${previewValue(payload)}` },
      ],
    };
  }
  const sid = own(payload, 'sid') ?? own(body, 'sid');
  if (!isValidSid(sid))
    add('payload.sid', `payload.sid must be ${describeAllowed.sid}; got ${previewValue(sid)}`);
  const region = own(payload, 'region');
  if (!isValidRegion(region))
    add(
      'payload.region',
      `payload.region must be ${describeAllowed.region}; got ${previewValue(region)}`,
    );

  const rawKey = own(payload, 'streamKey');
  let streamKey: string | undefined;
  let maskedKey: string | undefined;
  if (rawKey !== undefined && rawKey !== '') {
    if (typeof rawKey === 'string' && isValidStreamKey(rawKey)) streamKey = rawKey;
    else if (typeof rawKey === 'string' && MASKED_KEY_RE.test(rawKey)) maskedKey = rawKey;
    else
      add(
        'payload.streamKey',
        `payload.streamKey must be a stream key (${describeAllowed.streamKey}) or a masked one like 7B***Qbs; got ${typeof rawKey === 'string' ? `${rawKey.length} characters` : previewValue(rawKey)}`,
      );
  }

  let channel: string | undefined;
  let uid: string | undefined;
  const rtcInfo = own(payload, 'rtcInfo');
  if (rtcInfo !== undefined) {
    if (!isObject(rtcInfo))
      add('payload.rtcInfo', `payload.rtcInfo must be an object; got ${previewValue(rtcInfo)}`);
    else {
      const c = own(rtcInfo, 'channel');
      if (c !== undefined && c !== '') {
        if (isValidChannel(c)) channel = c;
        else
          add(
            'payload.rtcInfo.channel',
            `payload.rtcInfo.channel must be ${describeAllowed.channel}; got ${previewValue(c)}`,
          );
      }
      const u = own(rtcInfo, 'uid');
      const uidText = typeof u === 'number' && Number.isSafeInteger(u) && u >= 0 ? String(u) : u;
      if (uidText !== undefined && uidText !== '') {
        if (typeof uidText === 'string' && isValidUid(uidText)) uid = uidText;
        else
          add(
            'payload.rtcInfo.uid',
            `payload.rtcInfo.uid must be a whole number or ${describeAllowed.uid}; got ${previewValue(u)}`,
          );
      }
    }
  }

  let errorCode: number | undefined;
  if (type === 3) {
    const e = own(payload, 'errorCode');
    if (isWholeNumber(e, 0) && e <= 1000) errorCode = e;
    else
      add(
        'payload.errorCode',
        `payload.errorCode must be a whole number 0..1000; got ${previewValue(e)}`,
      );
  }
  const times: Partial<Record<'beginAt' | 'endAt', string>> = {};
  for (const field of ['beginAt', 'endAt'] as const) {
    const t = own(payload, field);
    if (t === undefined || t === '') continue;
    if (typeof t === 'string' && TIME_RE.test(t)) times[field] = t;
    else
      add(
        `payload.${field}`,
        `payload.${field} must be an RFC 3339 time such as 2023-11-21T02:27:31Z; got ${previewValue(t)}`,
      );
  }

  const appIdRaw = own(payload, 'appId') ?? context.appId;
  if (!isValidAppId(appIdRaw)) {
    add(
      'appId',
      appIdRaw === undefined
        ? 'no App ID for this event: add ?appId=ID to the notification URL or set AGORA_APP_ID'
        : `appId must be ${describeAllowed.appId}; got ${previewValue(appIdRaw)}`,
    );
  }
  if (errors.length > 0) return { ok: false, errors };

  const event: StreamEvent = {
    noticeId: id,
    eventType: type as 1 | 2 | 3 | 4,
    event: EVENT_NAMES[type as 1 | 2 | 3 | 4],
    notifyMs: notifyMs as number,
    receivedAt: context.receivedAt,
    appId: appIdRaw as string,
    sid: sid as string,
    region: region as Region,
    ...times,
  };
  if (streamKey !== undefined) event.streamKey = streamKey;
  if (maskedKey !== undefined) event.maskedKey = maskedKey;
  if (channel !== undefined) event.channel = channel;
  if (uid !== undefined) event.uid = uid;
  if (errorCode !== undefined) event.errorCode = errorCode;
  return { ok: true, value: { kind: 'stream-event', event } };
}
