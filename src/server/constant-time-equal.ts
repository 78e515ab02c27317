import { createHash, timingSafeEqual } from 'node:crypto';

// Secrets are compared as 32-byte SHA-256 digests: timingSafeEqual needs equal lengths, and a
// length check before it would itself leak how long the secret is.
function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

/** Compares two secrets in time that depends on neither their values nor their lengths. */
export function constantTimeEqual(a: string, b: string): boolean {
  return timingSafeEqual(digest(a), digest(b));
}

/**
 * A matcher for a fixed set of secrets (e.g. intake tokens). It compares a candidate against
 * every secret, without an early exit, so the time taken says neither whether nor which one
 * matched. The secrets are kept only as digests.
 */
export function createSecretMatcher(secrets: readonly string[]): (candidate: string) => boolean {
  const indexOf = createSecretIndex(secrets);
  return (candidate) => indexOf(candidate) !== -1;
}

/** Like createSecretMatcher, but says which secret matched (its index), or -1. */
export function createSecretIndex(secrets: readonly string[]): (candidate: string) => number {
  const digests = secrets.map(digest);
  return (candidate) => {
    const hashed = digest(candidate);
    let found = -1;
    digests.forEach((d, i) => {
      if (timingSafeEqual(hashed, d) && found === -1) found = i;
    });
    return found;
  };
}
