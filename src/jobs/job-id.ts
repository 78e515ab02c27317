import { maskStreamKey } from '../logging/mask-stream-key.js';
import { FINGERPRINT_HEX_CHARS, streamKeyFingerprint } from './stream-key-fingerprint.js';

/**
 * Deterministic BullMQ job ids: the idempotency key of a takedown (DESIGN §2). Build ids only
 * through this file.
 *
 *   sid-<appId>-<sid>              a takedown that names a SID (with or without a key)
 *   key-<appId>-<fingerprint>      a takedown that names only a stream key
 *   expire-<appId>-<fingerprint>   the scheduled (delayed) expiry takedown of a key
 *
 * - A stream key is a push credential, and job ids are printed everywhere (logs, dashboard, CLI),
 *   so ids carry the key's fingerprint (streamKeyFingerprint), never the key.
 * - Before fingerprints, ids carried the escaped key (`key-<appId>-<streamKey>`); those "legacy"
 *   ids are still built (legacyKeyJobId, legacyExpiryJobId) so the producer can find jobs queued
 *   by an older version, and maskJobId hides the key in them wherever an id is shown.
 * - The region is not part of the id: a SID or key names one stream whatever region the
 *   request says, and two requests for it must collapse into one job.
 * - BullMQ rejects ':' in custom ids and ids that are all digits; the kind prefix rules out the
 *   second, and escaping rules out the first.
 * - Escaping: the App ID keeps only [A-Za-z0-9]; SIDs keep [A-Za-z0-9._~-]. Any other
 *   character is percent-encoded as UTF-8 (`%3A` for ':'), so ids stay reversible. Agora App IDs
 *   are alphanumeric, so in practice nothing is escaped and the first '-' after the kind is
 *   always the end of the App ID.
 */

export type JobIdKind = 'sid' | 'key' | 'expire';

export type ParsedJobId =
  | { kind: 'sid'; appId: string; sid: string }
  | { kind: 'key' | 'expire'; appId: string; fingerprint: string };

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

/** `sid-<appId>-<sid>` when a SID is given, else `key-<appId>-<fingerprint of the key>`. */
export function takedownJobId(ref: {
  appId: string;
  sid?: string | undefined;
  streamKey?: string | undefined;
}): string {
  const appId = escapePart(ref.appId, APP_ID_SAFE, 'appId');
  if (ref.sid !== undefined && ref.sid !== '')
    return `sid-${appId}-${escapePart(ref.sid, VALUE_SAFE, 'sid')}`;
  if (ref.streamKey !== undefined && ref.streamKey !== '') {
    return `key-${appId}-${streamKeyFingerprint(ref.appId, ref.streamKey)}`;
  }
  throw new TypeError('cannot build a takedown job id without a sid or a streamKey');
}

/** `expire-<appId>-<fingerprint>`: one scheduled expiry per key; scheduling again replaces it. */
export function expiryJobId(ref: { appId: string; streamKey: string }): string {
  if (ref.streamKey === '') throw new TypeError('cannot build a job id from an empty streamKey');
  return `expire-${escapePart(ref.appId, APP_ID_SAFE, 'appId')}-${streamKeyFingerprint(ref.appId, ref.streamKey)}`;
}

/** The id an older version gave a key-only takedown (`key-<appId>-<escaped key>`), for migration. */
export function legacyKeyJobId(ref: { appId: string; streamKey: string }): string {
  return `key-${escapePart(ref.appId, APP_ID_SAFE, 'appId')}-${escapePart(ref.streamKey, VALUE_SAFE, 'streamKey')}`;
}

/** The id an older version gave a key's scheduled expiry (`expire-<appId>-<escaped key>`). */
export function legacyExpiryJobId(ref: { appId: string; streamKey: string }): string {
  return `expire-${escapePart(ref.appId, APP_ID_SAFE, 'appId')}-${escapePart(ref.streamKey, VALUE_SAFE, 'streamKey')}`;
}

const FINGERPRINT = new RegExp(`^[0-9a-f]{${FINGERPRINT_HEX_CHARS}}$`);
const KEY_BEARING_ID = /^(key|expire)-([A-Za-z0-9%]+)-(.+)$/;

/**
 * A job id fit to show: current ids as they are; a legacy `key-…`/`expire-…` id (which holds
 * the stream key itself) with the key masked. Anything else is returned unchanged.
 */
export function maskJobId(id: string): string {
  const match = KEY_BEARING_ID.exec(id);
  if (!match) return id;
  const [, kind, appId, value] = match;
  if (value === undefined || FINGERPRINT.test(value)) return id;
  return `${kind}-${appId}-${maskStreamKey(unescapePart(value) ?? value)}`;
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
  if (appId === undefined) return undefined;
  let parsed: ParsedJobId;
  if (kind === 'sid') {
    const sid = unescapePart(rawValue);
    if (sid === undefined) return undefined;
    parsed = { kind, appId, sid };
  } else {
    if (!FINGERPRINT.test(rawValue)) return undefined;
    parsed = { kind, appId, fingerprint: rawValue };
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
  if (parsed.kind === 'sid') return takedownJobId({ appId: parsed.appId, sid: parsed.sid });
  if (!FINGERPRINT.test(parsed.fingerprint)) {
    throw new TypeError(`not a stream key fingerprint: ${FINGERPRINT_HEX_CHARS} hex characters`);
  }
  return `${parsed.kind}-${escapePart(parsed.appId, APP_ID_SAFE, 'appId')}-${parsed.fingerprint}`;
}
