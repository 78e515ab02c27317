/**
 * Deterministic BullMQ job ids: the idempotency key of a takedown (DESIGN §2).
 *
 *   sid-<appId>-<sid>            a takedown that names a SID (with or without a key)
 *   key-<appId>-<streamKey>      a takedown that names only a stream key
 *   expire-<appId>-<streamKey>   the scheduled (delayed) expiry takedown of a key
 *
 * - The region is not part of the id: a SID or key names one stream whatever region the
 *   request says, and two requests for it must collapse into one job.
 * - BullMQ rejects ':' in custom ids and ids that are all digits; the kind prefix rules out the
 *   second, and escaping rules out the first.
 * - Escaping: the App ID keeps only [A-Za-z0-9]; SIDs and keys keep [A-Za-z0-9._~-]. Any other
 *   character is percent-encoded as UTF-8 (`%3A` for ':'), so ids stay reversible. Agora App IDs
 *   are alphanumeric, so in practice nothing is escaped and the first '-' after the kind is
 *   always the end of the App ID.
 */

export type JobIdKind = 'sid' | 'key' | 'expire';

export type ParsedJobId =
  | { kind: 'sid'; appId: string; sid: string }
  | { kind: 'key'; appId: string; streamKey: string }
  | { kind: 'expire'; appId: string; streamKey: string };

const APP_ID_SAFE = /^[A-Za-z0-9]$/;
const VALUE_SAFE = /^[A-Za-z0-9._~-]$/;

function escapePart(value: string, safe: RegExp, what: string): string {
  if (value.length === 0) throw new TypeError(`cannot build a job id from an empty ${what}`);
  let out = '';
  for (const ch of value) {
    if (safe.test(ch)) {
      out += ch;
      continue;
    }
    let encoded: string;
    try {
      encoded = encodeURIComponent(ch);
    } catch {
      // A lone surrogate has no UTF-8 form; the payload schema rejects those before this point.
      throw new TypeError(`cannot build a job id: ${what} is not well-formed Unicode`);
    }
    // encodeURIComponent leaves a few punctuation marks alone; encode those by hand.
    out +=
      encoded === ch ? `%${ch.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}` : encoded;
  }
  return out;
}

function unescapePart(value: string): string | undefined {
  try {
    return decodeURIComponent(value);
  } catch {
    return undefined;
  }
}

/** `sid-<appId>-<sid>` when a SID is given, else `key-<appId>-<streamKey>`. */
export function takedownJobId(ref: {
  appId: string;
  sid?: string | undefined;
  streamKey?: string | undefined;
}): string {
  const appId = escapePart(ref.appId, APP_ID_SAFE, 'appId');
  if (ref.sid !== undefined && ref.sid !== '')
    return `sid-${appId}-${escapePart(ref.sid, VALUE_SAFE, 'sid')}`;
  if (ref.streamKey !== undefined && ref.streamKey !== '') {
    return `key-${appId}-${escapePart(ref.streamKey, VALUE_SAFE, 'streamKey')}`;
  }
  throw new TypeError('cannot build a takedown job id without a sid or a streamKey');
}

/** `expire-<appId>-<streamKey>`: one scheduled expiry per key; scheduling again replaces it. */
export function expiryJobId(ref: { appId: string; streamKey: string }): string {
  return `expire-${escapePart(ref.appId, APP_ID_SAFE, 'appId')}-${escapePart(ref.streamKey, VALUE_SAFE, 'streamKey')}`;
}

const JOB_ID = /^(sid|key|expire)-([A-Za-z0-9%]+)-(.+)$/;

/** The inverse of the builders above; undefined for any id they cannot have produced. */
export function parseJobId(id: string): ParsedJobId | undefined {
  const match = JOB_ID.exec(id);
  if (!match) return undefined;
  const [, rawKind, rawAppId, rawValue] = match;
  if (rawKind === undefined || rawAppId === undefined || rawValue === undefined) return undefined;
  // The pattern only matches the three kinds.
  const kind = rawKind as JobIdKind;
  const appId = unescapePart(rawAppId);
  const value = unescapePart(rawValue);
  if (appId === undefined || value === undefined) return undefined;
  let parsed: ParsedJobId;
  switch (kind) {
    case 'sid':
      parsed = { kind, appId, sid: value };
      break;
    case 'key':
    case 'expire':
      parsed = { kind, appId, streamKey: value };
      break;
  }
  // Only canonical ids: re-building must give the same string (rejects e.g. needless escapes).
  try {
    return toJobId(parsed) === id ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/** Builds the id a parsed id came from (parseJobId's inverse). */
export function toJobId(parsed: ParsedJobId): string {
  switch (parsed.kind) {
    case 'sid':
      return takedownJobId({ appId: parsed.appId, sid: parsed.sid });
    case 'key':
      return takedownJobId({ appId: parsed.appId, streamKey: parsed.streamKey });
    case 'expire':
      return expiryJobId({ appId: parsed.appId, streamKey: parsed.streamKey });
  }
}
