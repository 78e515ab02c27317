import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Agora Notifications (NCS) signatures: lowercase hex HMAC of the raw body bytes with the
 * secret Agora generated — `Agora-Signature-V2` (SHA-256), or `Agora-Signature` (SHA-1) for
 * senders that do not send V2. Always over the bytes received, never a re-serialized object.
 */

export const SIGNATURE_V2_HEADER = 'agora-signature-v2';
export const SIGNATURE_V1_HEADER = 'agora-signature';

export interface AgoraSignatures {
  /** hex(HMAC-SHA1(secret, body)) for `Agora-Signature`. */
  v1: string;
  /** hex(HMAC-SHA256(secret, body)) for `Agora-Signature-V2`. */
  v2: string;
}

/** Both signatures of a body, as Agora sends them (the simulator signs with this). */
export function signAgoraNotification(rawBody: Buffer | string, secret: string): AgoraSignatures {
  return {
    v1: createHmac('sha1', secret).update(rawBody).digest('hex'),
    v2: createHmac('sha256', secret).update(rawBody).digest('hex'),
  };
}

const HEX_RE = /^[0-9a-fA-F]+$/;

function sameHex(expected: string, given: string): boolean {
  // Lengths of a valid signature are public (40 / 64); only the content is compared in constant time.
  if (given.length !== expected.length || !HEX_RE.test(given)) return false;
  return timingSafeEqual(Buffer.from(expected, 'utf8'), Buffer.from(given.toLowerCase(), 'utf8'));
}

/**
 * Whether the request is signed with `secret`: V2 when that header is present (a wrong V2 is
 * not rescued by a right V1), else V1. Missing both → false.
 */
export function verifyAgoraSignature(
  rawBody: Buffer,
  headers: { v2?: string | undefined; v1?: string | undefined },
  secret: string,
): boolean {
  if (headers.v2 !== undefined) {
    return sameHex(createHmac('sha256', secret).update(rawBody).digest('hex'), headers.v2.trim());
  }
  if (headers.v1 !== undefined) {
    return sameHex(createHmac('sha1', secret).update(rawBody).digest('hex'), headers.v1.trim());
  }
  return false;
}
