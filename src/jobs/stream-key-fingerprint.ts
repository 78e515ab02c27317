import { createHash } from 'node:crypto';

/** Hex characters of the SHA-256 kept: 96 bits, far beyond any collision risk among keys of one App ID. */
export const FINGERPRINT_HEX_CHARS = 24;

/**
 * A stable identifier for a stream key that does not reveal it: the first 24 hex characters of
 * SHA-256(`<appId>:<streamKey>`). Job ids, logs and dashboards use it where a key must be named.
 */
export function streamKeyFingerprint(appId: string, streamKey: string): string {
  return createHash('sha256')
    .update(`${appId}:${streamKey}`, 'utf8')
    .digest('hex')
    .slice(0, FINGERPRINT_HEX_CHARS);
}
