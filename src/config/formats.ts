import convict from 'convict';
import { REGIONS } from '../agora/types.js';
import { parseAllowedHost } from './allowed-host.js';
import { parseDuration } from './duration.js';
import { splitIntakeToken } from './intake-token.js';

/**
 * Value formats of the schema. Each says what is allowed, checks a value and returns what is
 * wrong (never echoing the value: the caller decides whether it may be shown), and coerces env
 * strings itself — convict's built-in coercion turns "12abc" into 12 and "no" into true.
 */
export interface FormatSpec {
  readonly allowed: string;
  /** undefined when valid; otherwise a short problem ('' = just "invalid value"). */
  check: (value: unknown) => string | undefined;
  coerce?: (raw: string) => unknown;
}

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export const AGORA_AUTHS = ['basic', 'hmac'] as const;
export const MIN_TOKEN_LENGTH = 16;

// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u001f\u007f]/;
const hasControl = (s: string): boolean => CONTROL.test(s);

function integer(min: number, max: number, allowed: string): FormatSpec {
  return {
    allowed,
    check: (v) =>
      typeof v === 'number' && Number.isSafeInteger(v) && v >= min && v <= max ? undefined : '',
    coerce: (raw) => (/^\s*\+?\d+\s*$/.test(raw) ? Number(raw.trim()) : raw),
  };
}

function oneOf(values: readonly string[]): FormatSpec {
  return {
    allowed: `one of ${values.join(', ')}`,
    check: (v) => (typeof v === 'string' && values.includes(v) ? undefined : ''),
    coerce: (raw) => raw.trim(),
  };
}

function url(protocols: readonly string[], allowed: string): FormatSpec {
  return {
    allowed,
    check: (v) => {
      if (typeof v !== 'string') return '';
      let parsed: URL;
      try {
        parsed = new URL(v);
      } catch {
        return 'not a URL';
      }
      return protocols.includes(parsed.protocol) && parsed.hostname !== '' ? undefined : '';
    },
    coerce: (raw) => raw.trim(),
  };
}

/** Optional text: an empty env var means unset (docker-compose writes `KEY=` for "no value"). */
function optionalText(valid: (s: string) => boolean, allowed: string): FormatSpec {
  return {
    allowed: `${allowed} (or unset)`,
    check: (v) => (v === undefined || (typeof v === 'string' && valid(v)) ? undefined : ''),
    coerce: (raw) => (raw.trim() === '' ? undefined : raw),
  };
}

function list(raw: string): string[] {
  return raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

/** `host:port` or `[v6]:port`, port 1-65535. */
export function isHostPort(s: string): boolean {
  const m = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]{1,253}):(\d{1,5})$/.exec(s);
  if (m === null) return false;
  const port = Number(m[2]);
  return port >= 1 && port <= 65535;
}

export const FORMATS = {
  'td-positive-int': integer(1, Number.MAX_SAFE_INTEGER, 'a whole number >= 1'),
  'td-non-negative-int': integer(0, Number.MAX_SAFE_INTEGER, 'a whole number >= 0'),
  'td-port': integer(0, 65535, 'a port number 0-65535 (0 = any free port)'),
  'td-boolean': {
    allowed: 'true or false (also 1/0, yes/no)',
    check: (v) => (typeof v === 'boolean' ? undefined : ''),
    coerce: (raw) => {
      const s = raw.trim().toLowerCase();
      if (['true', '1', 'yes', 'on'].includes(s)) return true;
      if (['false', '0', 'no', 'off'].includes(s)) return false;
      return raw;
    },
  },
  'td-redis-url': url(['redis:', 'rediss:'], 'a redis:// or rediss:// URL'),
  'td-http-url': url(['http:', 'https:'], 'an http:// or https:// URL'),
  'td-agora-auth': oneOf(AGORA_AUTHS),
  'td-log-level': oneOf(LOG_LEVELS),
  'td-prefix': {
    allowed: '1-64 characters without spaces or control characters',
    check: (v) =>
      typeof v === 'string' && /^\S{1,64}$/.test(v) && !hasControl(v) ? undefined : '',
  },
  'td-host': {
    allowed: 'a host name or IP address',
    check: (v) => (typeof v === 'string' && /^[A-Za-z0-9.:[\]_-]{1,253}$/.test(v) ? undefined : ''),
    coerce: (raw) => raw.trim(),
  },
  // Agora App IDs are 32 hex characters; allow what is path-safe so the simulator can use names.
  'td-app-id': optionalText(
    (s) => /^[A-Za-z0-9_-]{1,128}$/.test(s),
    '1-128 letters, digits, "_" or "-"',
  ),
  // A user name for Basic auth: no ":" (it separates user and password) and no control chars.
  'td-user': optionalText(
    (s) => s.length <= 256 && !s.includes(':') && !hasControl(s),
    'a non-empty name without ":"',
  ),
  'td-secret': optionalText((s) => s.length <= 1024 && !hasControl(s), 'a non-empty string'),
  'td-region-list': {
    allowed: `a comma-separated list of ${REGIONS.join(', ')} (may be empty)`,
    check: (v) => {
      if (!Array.isArray(v)) return '';
      const bad = (v as unknown[]).find(
        (r) => typeof r !== 'string' || !(REGIONS as readonly string[]).includes(r),
      );
      if (bad === undefined) return undefined;
      return `${typeof bad === 'string' ? JSON.stringify(bad.slice(0, 20)) : typeof bad} is not a region`;
    },
    coerce: (raw) => [...new Set(list(raw.toLowerCase()))],
  },
  'td-host-port-list': {
    allowed: 'a comma-separated list of host:port (may be empty)',
    check: (v) => {
      if (!Array.isArray(v)) return '';
      const bad = (v as unknown[]).find((e) => typeof e !== 'string' || !isHostPort(e));
      if (bad === undefined) return undefined;
      return `${typeof bad === 'string' ? JSON.stringify(bad.slice(0, 60)) : typeof bad} is not host:port`;
    },
    coerce: list,
  },
  'td-sentinel-name': {
    allowed: '1-128 letters, digits, ".", "_" or "-"',
    check: (v) => (typeof v === 'string' && /^[A-Za-z0-9._-]{1,128}$/.test(v) ? undefined : ''),
    coerce: (raw) => raw.trim(),
  },
  'td-file': optionalText((s) => s.length <= 4096 && !hasControl(s), 'a file path'),
  'td-token-list': {
    allowed: `a comma-separated list of name:token (or bare token) entries, each token at least ${MIN_TOKEN_LENGTH} characters without spaces; names 1-64 of A-Z a-z 0-9 . _ @ -, each used once`,
    check: (v) => {
      if (!Array.isArray(v)) return '';
      // Position only: a token is a secret and must not appear in the message.
      const i = v.findIndex(
        (t) =>
          typeof t !== 'string' ||
          /[\s,]/.test(t) ||
          splitIntakeToken(t).token.length < MIN_TOKEN_LENGTH,
      );
      if (i !== -1) return `token ${i + 1} of ${v.length} is too short or malformed`;
      const names = (v as string[])
        .map((t) => splitIntakeToken(t).name)
        .filter((n) => n !== undefined);
      const twice = names.find((n, k) => names.indexOf(n) !== k);
      return twice === undefined ? undefined : `the name ${JSON.stringify(twice)} is used twice`;
    },
    coerce: list,
  },
  'td-host-list': {
    allowed:
      'a comma-separated list of host names, *.domain wildcards, each with an optional :port (no IP addresses)',
    check: (v) => {
      if (!Array.isArray(v)) return '';
      const bad = (v as unknown[]).find(
        (h) => typeof h !== 'string' || parseAllowedHost(h) === undefined,
      );
      return bad === undefined
        ? undefined
        : `${typeof bad === 'string' ? JSON.stringify(bad.slice(0, 60)) : typeof bad} is not a host name pattern`;
    },
    coerce: (raw) => list(raw.toLowerCase()),
  },
  'td-duration-list': {
    allowed:
      'a comma-separated list of delays such as 0,5s,5m,30m,2h (ms, s, m, h; a bare number is ms), at most 50',
    check: (v) =>
      Array.isArray(v) &&
      v.length >= 1 &&
      v.length <= 50 &&
      v.every((n) => typeof n === 'number' && Number.isSafeInteger(n) && n >= 0)
        ? undefined
        : '',
    coerce: (raw) => list(raw).map((d) => parseDuration(d) ?? d),
  },
  // Standard Webhooks: whsec_ + base64 of 24-64 random bytes.
  'td-webhook-secret': optionalText((s) => {
    const m = /^whsec_([A-Za-z0-9+/]+={0,2})$/.exec(s);
    if (m === null) return false;
    const bytes = Buffer.from(m[1] as string, 'base64').length;
    return bytes >= 24 && bytes <= 64;
  }, 'whsec_ followed by the base64 of 24-64 random bytes (e.g. whsec_$(openssl rand -base64 32))'),
} satisfies Record<string, FormatSpec>;

export type FormatName = keyof typeof FORMATS;

/**
 * Teaches convict our formats. addFormat overwrites by name, so calling this before every
 * convict() is harmless; it is not done at import time (no module side effects).
 */
export function registerFormats(): void {
  for (const [name, spec] of Object.entries(FORMATS) as [string, FormatSpec][]) {
    const coerce = spec.coerce;
    convict.addFormat({
      name,
      validate: (value: unknown) => {
        const problem = spec.check(value);
        if (problem !== undefined) throw new Error(problem || 'invalid value');
      },
      ...(coerce ? { coerce: (v: unknown) => (typeof v === 'string' ? coerce(v) : v) } : {}),
    });
  }
}
