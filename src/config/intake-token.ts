import { createHash } from 'node:crypto';

const NAME_RE = /^[A-Za-z0-9._@-]{1,64}$/;

/**
 * One `INTAKE_TOKENS` entry: `name:token` names the requester recorded for the token's requests;
 * a bare `token` (the old form) still works. The split is at the first ':' when what comes before
 * it is a valid name (so older tokens that contain ':' elsewhere keep working).
 */
export function splitIntakeToken(entry: string): { name?: string; token: string } {
  const colon = entry.indexOf(':');
  if (colon > 0 && NAME_RE.test(entry.slice(0, colon))) {
    return { name: entry.slice(0, colon), token: entry.slice(colon + 1) };
  }
  return { token: entry };
}

/** The requester recorded for a token: its name, or `token-<8 hex of its SHA-256>` (never the token). */
export function intakeRequester(entry: string): { name: string; token: string } {
  const { name, token } = splitIntakeToken(entry);
  return {
    name: name ?? `token-${createHash('sha256').update(token).digest('hex').slice(0, 8)}`,
    token,
  };
}
