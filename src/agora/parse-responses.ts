import { AgoraResponseError } from './errors.js';
import { parseStreamKeyFromUrl } from './paths.js';
import type { AgoraOp, OnlineStream, StreamKeyInfo } from './types.js';

/**
 * Defensive parsing of 2xx bodies. Lossless coercions are accepted (a numeric `uid` or
 * `createdAt` becomes its string form, a numeric-string `expiresAfter` a number); anything else
 * that does not match the documented shape is an AgoraResponseError (contract drift, not retried).
 */

/** Where the body came from, for the error. */
export interface BodyContext {
  op: AgoraOp;
  status: number;
  requestId: string;
}

type Json = Record<string, unknown>;

function fail(ctx: BodyContext, detail: string, cause?: unknown): AgoraResponseError {
  return new AgoraResponseError({ ...ctx, detail, cause });
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Parses the envelope: a JSON object whose `status`, when present, is `success`. */
export function parseEnvelope(ctx: BodyContext, bodyText: string): Json {
  let parsed: unknown;
  try {
    parsed = JSON.parse(bodyText);
  } catch (err) {
    throw fail(ctx, bodyText === '' ? 'empty body' : 'body is not JSON', err);
  }
  if (!isObject(parsed)) throw fail(ctx, 'body is not a JSON object');
  if (parsed.status !== undefined && parsed.status !== 'success') {
    throw fail(ctx, `status is ${JSON.stringify(parsed.status)}, expected "success"`);
  }
  return parsed;
}

/** A body-less success (delete, disconnect): empty, or an envelope. */
export function parseAck(ctx: BodyContext, bodyText: string): void {
  if (bodyText.trim() === '') return;
  parseEnvelope(ctx, bodyText);
}

function str(ctx: BodyContext, obj: Json, field: string, where: string): string {
  const value = obj[field];
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  throw fail(ctx, `${where}.${field} is ${describe(value)}, expected a string`);
}

function optStr(ctx: BodyContext, obj: Json, field: string, where: string): string {
  return obj[field] === undefined || obj[field] === null ? '' : str(ctx, obj, field, where);
}

function describe(value: unknown): string {
  if (value === undefined) return 'missing';
  if (value === null) return 'null';
  return Array.isArray(value) ? 'an array' : `a ${typeof value}`;
}

/** `data` of create/query key. */
export function parseStreamKeyInfo(ctx: BodyContext, bodyText: string): StreamKeyInfo {
  const data = parseEnvelope(ctx, bodyText).data;
  if (!isObject(data)) throw fail(ctx, `data is ${describe(data)}, expected an object`);
  const streamKey = str(ctx, data, 'streamKey', 'data');
  if (streamKey === '') throw fail(ctx, 'data.streamKey is empty');
  const rawExpires = data.expiresAfter;
  const expiresAfter =
    typeof rawExpires === 'string' && /^\d+$/.test(rawExpires) ? Number(rawExpires) : rawExpires;
  if (typeof expiresAfter !== 'number' || !Number.isSafeInteger(expiresAfter) || expiresAfter < 0) {
    throw fail(ctx, `data.expiresAfter is ${describe(rawExpires)}, expected an integer >= 0`);
  }
  return {
    streamKey,
    channel: str(ctx, data, 'channel', 'data'),
    uid: str(ctx, data, 'uid', 'data'),
    expiresAfter,
    createdAt: optStr(ctx, data, 'createdAt', 'data'),
  };
}

function parseOnlineStream(ctx: BodyContext, item: unknown, where: string): OnlineStream {
  if (!isObject(item)) throw fail(ctx, `${where} is ${describe(item)}, expected an object`);
  const sid = str(ctx, item, 'sid', where);
  if (sid === '') throw fail(ctx, `${where}.sid is empty`);
  const url = str(ctx, item, 'url', where);
  return {
    sid,
    channel: optStr(ctx, item, 'channel', where),
    uid: optStr(ctx, item, 'uid', where),
    url,
    streamKey: parseStreamKeyFromUrl(url),
    status: optStr(ctx, item, 'status', where),
    beginAt: optStr(ctx, item, 'beginAt', where),
  };
}

/** `data` of the online-stream list: an array (a missing/null `data` means no streams). */
export function parseOnlineStreamList(ctx: BodyContext, bodyText: string): OnlineStream[] {
  const data = parseEnvelope(ctx, bodyText).data;
  if (data === undefined || data === null) return [];
  if (!Array.isArray(data)) throw fail(ctx, `data is ${describe(data)}, expected an array`);
  return data.map((item, i) => parseOnlineStream(ctx, item, `data[${i}]`));
}

/**
 * `data` of query-by-SID: an object [ZH] or an array [EN]. Returns undefined when the array is
 * empty (nothing online). An array whose items all carry other SIDs is contract drift.
 */
export function parseOnlineStreamBySid(
  ctx: BodyContext,
  bodyText: string,
  sid: string,
): OnlineStream | undefined {
  const data = parseEnvelope(ctx, bodyText).data;
  if (Array.isArray(data)) {
    if (data.length === 0) return undefined;
    const streams = data.map((item, i) => parseOnlineStream(ctx, item, `data[${i}]`));
    const match = streams.find((s) => s.sid === sid);
    if (match === undefined) throw fail(ctx, 'data holds no stream with the requested sid');
    return match;
  }
  const stream = parseOnlineStream(ctx, data, 'data');
  if (stream.sid !== sid) throw fail(ctx, 'data.sid differs from the requested sid');
  return stream;
}
