/**
 * Which callback URLs a takedown request may name (and the callback worker may call): a request
 * must not be able to point the worker at an internal service. Allowed:
 * - loopback (`localhost`, `127.0.0.0/8`, `[::1]`), over http or https, any port;
 * - a host listed in `CALLBACK_ALLOWED_HOSTS` (`hooks.example.com`, `*.example.com`, optionally
 *   `:port`), over https only, on 443 unless the entry names its port.
 * Refused: anything else, userinfo (`user:pass@`), IP literals outside loopback, other schemes.
 */

import { IPV4_RE } from '../config/allowed-host.js';
import type { AllowedHost } from '../config/allowed-host.js';

export const CALLBACK_URL_MAX_CHARS = 2048;

export type { AllowedHost } from '../config/allowed-host.js';

function isLoopback(hostname: string): boolean {
  if (hostname === 'localhost' || hostname === '[::1]') return true;
  if (!IPV4_RE.test(hostname)) return false;
  const octets = hostname.split('.').map(Number);
  return octets[0] === 127 && octets.every((o) => o <= 255);
}

function isIpLiteral(hostname: string): boolean {
  return IPV4_RE.test(hostname) || hostname.startsWith('[') || /^\d+$/.test(hostname);
}

function hostMatches(entry: AllowedHost, hostname: string): boolean {
  return entry.wildcard ? hostname.endsWith(`.${entry.host}`) : hostname === entry.host;
}

/**
 * Checks a callback URL against the policy above (`shape-only`: everything but the host list,
 * for payloads already stored, whose host the delivering worker checks). Returns what is wrong (a sentence that never
 * repeats the URL, which may carry a token), or undefined when it is allowed.
 */
export function checkCallbackUrl(
  value: string,
  allowedHosts: readonly AllowedHost[] | 'shape-only',
): string | undefined {
  if (value.length > CALLBACK_URL_MAX_CHARS) {
    return `is ${value.length} characters long; at most ${CALLBACK_URL_MAX_CHARS} are allowed`;
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'is not an absolute URL such as https://hooks.example.com/takedowns';
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    return `must use https (or http to loopback); got ${url.protocol}`;
  }
  if (url.username !== '' || url.password !== '') {
    return 'must not carry a user name or password before the host; the webhook signature authenticates the sender';
  }
  const hostname = url.hostname.toLowerCase();
  if (isLoopback(hostname)) return undefined;
  if (isIpLiteral(hostname)) {
    return 'must name a host, not an IP address (only loopback addresses are allowed as literals)';
  }
  if (allowedHosts === 'shape-only') {
    return url.protocol === 'https:'
      ? undefined
      : 'must use https (plain http is allowed only to loopback)';
  }
  const entry = allowedHosts.find((e) => hostMatches(e, hostname));
  if (entry === undefined) {
    return `host ${hostname.slice(0, 100)} is not in CALLBACK_ALLOWED_HOSTS (only loopback and the hosts listed there are allowed)`;
  }
  if (url.protocol !== 'https:') {
    return 'must use https (plain http is allowed only to loopback)';
  }
  const port = url.port === '' ? 443 : Number(url.port);
  if (port !== (entry.port ?? 443)) {
    return `port ${port} is not allowed for ${hostname.slice(0, 100)} (443 unless CALLBACK_ALLOWED_HOSTS names the port, e.g. host:8443)`;
  }
  return undefined;
}

/** A URL safe to print: scheme, host, port and path; the query (often a token) is elided. */
export function describeCallbackUrl(value: string): string {
  try {
    const url = new URL(value);
    return `${url.protocol}//${url.host}${url.pathname}${url.search === '' ? '' : '?…'}`;
  } catch {
    return '(invalid URL)';
  }
}
