import { maskJobId } from './job-id.js';
import { maskStreamKey } from '../logging/mask-stream-key.js';

const MAX_DEPTH = 12;

/**
 * A copy of `value` fit to show (dashboard, DLQ listings, status of a job the caller did not
 * name by key): every `streamKey` field (and each item of a `streamKeys` array) masked, every
 * `jobId` string passed through maskJobId. Other values are kept; the input is not changed.
 */
export function maskStreamKeys<T>(value: T): T {
  return walk(value, 0) as T;
}

function walk(value: unknown, depth: number): unknown {
  if (typeof value !== 'object' || value === null || depth > MAX_DEPTH) return value;
  if (Array.isArray(value)) return value.map((item) => walk(item, depth + 1));
  const proto = Object.getPrototypeOf(value) as unknown;
  if (proto !== Object.prototype && proto !== null) return value;
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) {
    if (key === 'streamKey' && typeof inner === 'string') out[key] = maskStreamKey(inner);
    else if (key === 'streamKeys' && Array.isArray(inner)) {
      out[key] = inner.map((k: unknown) => (typeof k === 'string' ? maskStreamKey(k) : k));
    } else if (key === 'jobId' && typeof inner === 'string') out[key] = maskJobId(inner);
    else out[key] = walk(inner, depth + 1);
  }
  return out;
}
