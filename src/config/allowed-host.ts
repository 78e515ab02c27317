/**
 * One `CALLBACK_ALLOWED_HOSTS` entry: `hooks.example.com`, `*.example.com` (any subdomain), either
 * with an optional `:port` (443 otherwise). Host names only: IP literals are never allowed (a
 * listed address is too easily an internal service). Lives here, a leaf, so the config format
 * and the callback URL policy (src/jobs/callback-url.ts) share one parser.
 */
export interface AllowedHost {
  /** Lower-case host name; for a wildcard entry, the suffix after `*.`. */
  host: string;
  wildcard: boolean;
  /** The port the entry allows; undefined = 443 only. */
  port?: number;
}

const HOST_RE =
  /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+$/;
export const IPV4_RE = /^\d{1,3}(\.\d{1,3}){3}$/;

/** undefined when the entry is not a host name pattern (IP literals included). */
export function parseAllowedHost(entry: string): AllowedHost | undefined {
  const m = /^(\*\.)?([^:]+)(?::(\d{1,5}))?$/.exec(entry.trim().toLowerCase());
  if (m === null) return undefined;
  const host = m[2] as string;
  if (!HOST_RE.test(host) || /^[\d.]+$/.test(host)) return undefined;
  const out: AllowedHost = { host, wildcard: m[1] !== undefined };
  if (m[3] !== undefined) {
    const port = Number(m[3]);
    if (port < 1 || port > 65535) return undefined;
    out.port = port;
  }
  return out;
}
