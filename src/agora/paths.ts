import { InvalidArgumentError } from './errors.js';
import { REGIONS, type Region } from './types.js';

/**
 * Validation of every caller-supplied value that ends up in a URL, and the path builders.
 * Path segments are restricted to URL "unreserved" characters (no `%`, `/`, `?`, `#`, `\`,
 * whitespace or controls) and may not be `.` or `..`, so no input can change which endpoint is
 * called or need escaping; the exact path built is the path sent and signed.
 */

const APP_ID_RE = /^[A-Za-z0-9]{1,64}$/;
// SIDs and stream keys are opaque (UUID-like SIDs, base64url keys): 1–255 unreserved chars.
const SEGMENT_RE = /^[A-Za-z0-9._~-]{1,255}$/;
// Agora's 89-character alphabet for channel names and string UIDs (reference §2.1).
const NAME_CHARS_RE = /^[A-Za-z0-9 !#$%&()+\-:;<=.>?@[\]^_{}|~,]*$/;
const TEMPLATE_ID_RE = /^[A-Za-z0-9]{1,12}$/;
const CHANNEL_MAX_BYTES = 63;
const UID_MAX_BYTES = 255;

/** The same rules as regular-expression sources, for JSON Schemas (the intake's OpenAPI). */
export const IDENTIFIER_PATTERNS = {
  appId: APP_ID_RE.source,
  segment: SEGMENT_RE.source,
  nameChars: NAME_CHARS_RE.source,
} as const;

/** What each field allows, in words; reused in error messages (here and in the jobs schema). */
export const describeAllowed = {
  region: `one of ${REGIONS.join(', ')} (lowercase)`,
  appId: '1–64 characters A-Z a-z 0-9',
  sid: "1–255 characters A-Z a-z 0-9 - _ . ~, not '.' or '..'",
  streamKey: "1–255 characters A-Z a-z 0-9 - _ . ~, not '.' or '..'",
  channel:
    '1–63 bytes of A-Z a-z 0-9, space and ! # $ % & ( ) + - : ; < = . > ? @ [ ] ^ _ { } | ~ ,',
  uid: "'' or '0' (random), or up to 255 bytes of A-Z a-z 0-9, space and ! # $ % & ( ) + - : ; < = . > ? @ [ ] ^ _ { } | ~ ,",
  expiresAfter: 'a whole number of seconds >= 0 (0 = never expires)',
  templateId: '1–12 characters A-Z a-z 0-9',
} as const satisfies Record<string, string>;

export function isValidRegion(value: unknown): value is Region {
  return typeof value === 'string' && (REGIONS as readonly string[]).includes(value);
}

export function isValidAppId(value: unknown): value is string {
  return typeof value === 'string' && APP_ID_RE.test(value);
}

function isSafeSegment(value: unknown): value is string {
  return typeof value === 'string' && SEGMENT_RE.test(value) && value !== '.' && value !== '..';
}

export function isValidSid(value: unknown): value is string {
  return isSafeSegment(value);
}

export function isValidStreamKey(value: unknown): value is string {
  return isSafeSegment(value);
}

/** A channel name to filter or sweep by: non-empty, < 64 bytes, Agora's alphabet. */
export function isValidChannel(value: unknown): value is string {
  return (
    typeof value === 'string' &&
    value !== '' &&
    Buffer.byteLength(value, 'utf8') <= CHANNEL_MAX_BYTES &&
    NAME_CHARS_RE.test(value)
  );
}

/** A UID for key creation: `''`/`'0'` (Agora picks one) or ≤ 255 bytes of Agora's alphabet. */
export function isValidUid(value: unknown): value is string {
  return (
    typeof value === 'string' &&
    Buffer.byteLength(value, 'utf8') <= UID_MAX_BYTES &&
    NAME_CHARS_RE.test(value)
  );
}

export function isValidTemplateId(value: unknown): value is string {
  return typeof value === 'string' && TEMPLATE_ID_RE.test(value);
}

export function isValidExpiresAfter(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/** A short, printable preview of a rejected value (never the whole 10 kB string). */
export function previewValue(value: unknown): string {
  if (typeof value !== 'string') return value === null ? 'null' : typeof value;
  const shown = JSON.stringify(value.length > 32 ? value.slice(0, 32) : value);
  return value.length > 32 ? `${shown}… (${value.length} chars)` : shown;
}

/** A credential's preview names only its length: even an invalid key may be most of a real one. */
export function previewSecret(value: unknown): string {
  return typeof value === 'string' ? `a ${value.length}-character value` : previewValue(value);
}

function invalid(
  field: string,
  allowed: string,
  value: unknown,
  preview: (value: unknown) => string = previewValue,
): InvalidArgumentError {
  return new InvalidArgumentError(
    field,
    `Invalid ${field}: expected ${allowed}; got ${preview(value)}`,
  );
}

export function assertRegion(value: unknown, field = 'region'): asserts value is Region {
  if (!isValidRegion(value)) throw invalid(field, describeAllowed.region, value);
}

export function assertAppId(value: unknown, field = 'appId'): asserts value is string {
  if (!isValidAppId(value)) throw invalid(field, describeAllowed.appId, value);
}

export function assertSid(value: unknown, field = 'sid'): asserts value is string {
  if (!isValidSid(value)) throw invalid(field, describeAllowed.sid, value);
}

export function assertStreamKey(value: unknown, field = 'streamKey'): asserts value is string {
  if (!isValidStreamKey(value))
    throw invalid(field, describeAllowed.streamKey, value, previewSecret);
}

export function assertChannel(value: unknown, field = 'channel'): asserts value is string {
  if (!isValidChannel(value)) throw invalid(field, describeAllowed.channel, value);
}

/** The body of a create-key call: Agora's rules (reference §2.1), checked before sending. */
export function assertCreateKeySettings(input: {
  channel: unknown;
  uid: unknown;
  expiresAfter: unknown;
  templateId?: unknown;
}): void {
  // On create, '' is allowed: Agora then picks a random channel.
  if (input.channel !== '') assertChannel(input.channel);
  if (!isValidUid(input.uid)) throw invalid('uid', describeAllowed.uid, input.uid);
  if (input.channel === '' && (input.uid === '' || input.uid === '0')) {
    throw new InvalidArgumentError(
      'channel',
      "Invalid channel: channel and uid cannot both be empty (uid '' or '0'); set at least one",
    );
  }
  if (!isValidExpiresAfter(input.expiresAfter)) {
    throw invalid('expiresAfter', describeAllowed.expiresAfter, input.expiresAfter);
  }
  if (input.templateId !== undefined && !isValidTemplateId(input.templateId)) {
    throw invalid('templateId', describeAllowed.templateId, input.templateId);
  }
}

function projectPrefix(region: unknown, appId: unknown): string {
  assertRegion(region);
  assertAppId(appId);
  return `/${region}/v1/projects/${appId}/rtls/ingress`;
}

/** `/{region}/v1/projects/{appId}/rtls/ingress/streamkeys` */
export function streamKeysPath(ref: { region: unknown; appId: unknown }): string {
  return `${projectPrefix(ref.region, ref.appId)}/streamkeys`;
}

/** `/{region}/v1/projects/{appId}/rtls/ingress/streamkeys/{streamKey}` */
export function streamKeyPath(ref: {
  region: unknown;
  appId: unknown;
  streamKey: unknown;
}): string {
  const prefix = projectPrefix(ref.region, ref.appId);
  assertStreamKey(ref.streamKey);
  return `${prefix}/streamkeys/${ref.streamKey}`;
}

/** `/{region}/v1/projects/{appId}/rtls/ingress/online-streams[?channel=…]` */
export function onlineStreamsPath(ref: {
  region: unknown;
  appId: unknown;
  channel?: unknown;
}): string {
  const base = `${projectPrefix(ref.region, ref.appId)}/online-streams`;
  if (ref.channel === undefined) return base;
  assertChannel(ref.channel);
  return `${base}?channel=${encodeURIComponent(ref.channel)}`;
}

/** `/{region}/v1/projects/{appId}/rtls/ingress/online-streams/{sid}` */
export function onlineStreamPath(ref: { region: unknown; appId: unknown; sid: unknown }): string {
  const prefix = projectPrefix(ref.region, ref.appId);
  assertSid(ref.sid);
  return `${prefix}/online-streams/${ref.sid}`;
}

/**
 * The stream key of an online stream, from its `url` (`$domain/live/$streamKey`, no scheme;
 * Agora's list has no key field). Undefined when the url has no `/live/<key>` ending. The raw
 * segment is returned unvalidated, so a strange key fails loudly when it is used in a path.
 */
export function parseStreamKeyFromUrl(url: string): string | undefined {
  const withoutQuery = url.split(/[?#]/, 1)[0] ?? '';
  const match = /(?:^|\/)live\/([^/]+)\/?$/.exec(withoutQuery);
  return match?.[1];
}
