import { stdSerializers } from 'pino';
import { maskStreamKey } from './mask-stream-key.js';

/** Keys whose values are secrets at any depth (compared lower-case). */
const SECRET_KEYS = new Set([
  'authorization',
  'proxy-authorization',
  'customersecret',
  'password',
  'secret',
  'token',
  'tokens',
]);
const MASK = '[redacted]';
const STREAM_KEY_FIELDS = new Set(['streamKey']);
const MAX_DEPTH = 8;

const URL_CREDENTIALS = /\b([a-z][a-z0-9+.-]*:\/\/[^\s:/?#@]*):[^\s/?#]*@/gi;
// On serialized JSON a match must not cross a `"`, or it could swallow the next field.
const URL_CREDENTIALS_IN_JSON = /\b([a-z][a-z0-9+.-]*:\/\/[^\s:/?#@"]*):[^\s/?#"]*@/gi;
const AUTH_CREDENTIALS = /\b(Basic|Bearer)\s+[A-Za-z0-9+/=._~-]{6,}/g;
// A stream key in an Agora URL (`…/streamkeys/<key>`) or a push URL (`…/live/<key>`), e.g. in a
// ky error message kept as an error's cause.
const STREAM_KEY_IN_URL = /(\/(?:streamkeys|live)\/)([A-Za-z0-9._~-]+)/gi;

const maskKeyInUrl = (_: string, path: string, key: string): string => path + maskStreamKey(key);

/**
 * `scheme://user:pass@` → `scheme://user:***@`; `Basic|Bearer <credential>` → `Basic ***`;
 * `/streamkeys/<key>` → `/streamkeys/abcd…xyz`.
 */
export function maskSecretsInText(text: string): string {
  return text
    .replace(URL_CREDENTIALS, '$1:***@')
    .replace(AUTH_CREDENTIALS, '$1 ***')
    .replace(STREAM_KEY_IN_URL, maskKeyInUrl);
}

/** The same masking on a serialized log line (reaches child bindings and messages). */
export function maskSecretsInJsonLine(line: string): string {
  return line
    .replace(URL_CREDENTIALS_IN_JSON, '$1:***@')
    .replace(AUTH_CREDENTIALS, '$1 ***')
    .replace(STREAM_KEY_IN_URL, maskKeyInUrl);
}

/**
 * A copy of a log object with secret-named keys masked and URL credentials removed from strings.
 * Runs before pino's serializers, so errors are serialized here to reach their messages.
 */
export function sanitizeLogObject(value: Record<string, unknown>): Record<string, unknown> {
  return sanitize(value, 0, new WeakSet()) as Record<string, unknown>;
}

function sanitize(value: unknown, depth: number, seen: WeakSet<object>): unknown {
  if (typeof value === 'string') return maskSecretsInText(value);
  if (typeof value !== 'object' || value === null) return value;
  if (value instanceof URL) return maskSecretsInText(value.href);
  if (seen.has(value)) return '[Circular]';
  if (depth >= MAX_DEPTH) return '[Object]';
  // Spread: the serialized error has pino's own prototype, and we want a plain object to walk.
  const source: object = value instanceof Error ? { ...stdSerializers.err(value) } : value;
  if (Array.isArray(source)) {
    seen.add(value);
    const out = source.map((item) => sanitize(item, depth + 1, seen));
    seen.delete(value);
    return out;
  }
  const proto = Object.getPrototypeOf(source) as unknown;
  // Class instances (Buffer, Date, Map…) keep their own JSON form.
  if (proto !== Object.prototype && proto !== null) return source;
  seen.add(value);
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(source)) {
    if (SECRET_KEYS.has(key.toLowerCase()) && inner !== undefined && inner !== null) {
      out[key] = MASK;
    } else if (STREAM_KEY_FIELDS.has(key) && typeof inner === 'string') {
      // Stream keys are push credentials: logged masked at every level, like Agora shows them.
      out[key] = maskStreamKey(inner);
    } else out[key] = sanitize(inner, depth + 1, seen);
  }
  seen.delete(value);
  return out;
}
