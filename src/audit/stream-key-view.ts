import { createHash } from 'node:crypto';

/**
 * A stream key as the audit trail and callbacks show it: stream keys are push credentials, so
 * only a mask (`abcd…xyz`) and a fingerprint (first 12 hex of SHA-256) are kept. The fingerprint
 * lets an operator match a key they hold without the record holding it.
 */
export function streamKeyView(streamKey: string): { masked: string; fingerprint: string } {
  const masked = streamKey.length <= 8 ? '…' : `${streamKey.slice(0, 4)}…${streamKey.slice(-3)}`;
  const fingerprint = createHash('sha256').update(streamKey).digest('hex').slice(0, 12);
  return { masked, fingerprint };
}
