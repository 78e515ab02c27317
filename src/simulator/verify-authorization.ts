import { timingSafeEqual } from 'node:crypto';
import { computeHmacSignature } from '../agora/hmac.js';

export interface AuthCredentials {
  customerId: string;
  customerSecret: string;
  /** Allowed |Date - now| for HMAC, seconds; 0 = not checked. */
  hmacClockSkewS: number;
}

export interface AuthRequest {
  authorization: string | undefined;
  /** Host header exactly as received. */
  host: string | undefined;
  date: string | undefined;
  digest: string | undefined;
  method: string;
  /** Path incl. query string, exactly as on the request line. */
  pathWithQuery: string;
  body: Uint8Array;
  nowMs: number;
}

/** Why auth failed; only for the simulator's own debugging, never sent to the client. */
export type AuthResult = { ok: true; scheme: 'basic' | 'hmac' } | { ok: false; reason: string };

const SIGNED_HEADERS = 'host date request-line digest';

function safeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a, 'utf8');
  const bb = Buffer.from(b, 'utf8');
  return ab.length === bb.length && timingSafeEqual(ab, bb);
}

function parseHmacParams(params: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of params.matchAll(/([A-Za-z-]+)\s*=\s*"([^"]*)"/g)) {
    out.set((m[1] ?? '').toLowerCase(), m[2] ?? '');
  }
  return out;
}

/** Checks Basic or HMAC (reference §5) against the configured credentials. */
export function verifyAuthorization(req: AuthRequest, creds: AuthCredentials): AuthResult {
  const header = req.authorization;
  if (header === undefined || header === '') return { ok: false, reason: 'no Authorization' };
  const space = header.indexOf(' ');
  if (space === -1) return { ok: false, reason: 'malformed Authorization' };
  const scheme = header.slice(0, space).toLowerCase();
  const rest = header.slice(space + 1).trim();

  if (scheme === 'basic') {
    const decoded = Buffer.from(rest, 'base64').toString('utf8');
    return safeEqual(decoded, `${creds.customerId}:${creds.customerSecret}`)
      ? { ok: true, scheme: 'basic' }
      : { ok: false, reason: 'basic credentials mismatch' };
  }

  if (scheme === 'hmac') {
    const params = parseHmacParams(rest);
    if (params.get('username') !== creds.customerId) return { ok: false, reason: 'hmac username' };
    if (params.get('algorithm')?.toLowerCase() !== 'hmac-sha256') {
      return { ok: false, reason: 'hmac algorithm' };
    }
    if (params.get('headers')?.toLowerCase() !== SIGNED_HEADERS) {
      return { ok: false, reason: 'hmac headers' };
    }
    const signature = params.get('signature');
    if (signature === undefined) return { ok: false, reason: 'hmac signature missing' };
    if (req.date === undefined || req.digest === undefined || req.host === undefined) {
      return { ok: false, reason: 'hmac needs Host, Date and Digest headers' };
    }
    const dateMs = Date.parse(req.date);
    if (Number.isNaN(dateMs)) return { ok: false, reason: 'hmac Date unparseable' };
    if (creds.hmacClockSkewS > 0 && Math.abs(req.nowMs - dateMs) > creds.hmacClockSkewS * 1000) {
      return { ok: false, reason: 'hmac Date outside clock skew' };
    }
    const expected = computeHmacSignature({
      customerSecret: creds.customerSecret,
      host: req.host,
      date: req.date,
      method: req.method,
      pathWithQuery: req.pathWithQuery,
      body: req.body,
    });
    if (!safeEqual(req.digest, expected.digest))
      return { ok: false, reason: 'hmac Digest mismatch' };
    return safeEqual(signature, expected.signature)
      ? { ok: true, scheme: 'hmac' }
      : { ok: false, reason: 'hmac signature mismatch' };
  }

  return { ok: false, reason: `unsupported scheme` };
}
