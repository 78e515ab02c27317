import {
  describeCallbackUrl,
  maskStreamKey,
  parseTakedownPayload,
  streamKeyFingerprint,
} from '../jobs/index.js';
import type { RequestEvent } from './audit-event.js';

const SALVAGED_FIELDS = ['region', 'appId', 'sid', 'requestedBy', 'reason', 'batchId'] as const;
const SALVAGE_MAX_CHARS = 500;

/**
 * The request event of a takedown: its payload without the stream key (kept as mask `km` and
 * fingerprint `kf`, the one job ids carry) and without what the record holds anyway (version, request time). A payload
 * that fails validation (it is on its way to the DLQ) keeps only the plain short strings of its
 * well-known fields, marked `invalid`, so the record still says who asked.
 * Returns the event and the request time that names the record.
 */
export function toRequestEvent(
  jobId: string,
  payload: unknown,
  fallbackRequestedAt: string,
  now: number,
): { event: RequestEvent; requestedAt: string } {
  const parsed = parseTakedownPayload(payload);
  const p: Record<string, unknown> = {};
  let requestedAt = fallbackRequestedAt;
  if (parsed.ok) {
    const { v: _v, streamKey, requestedAt: at, callbackUrl, ...rest } = parsed.value;
    Object.assign(p, rest);
    requestedAt = at;
    if (streamKey !== undefined) {
      p['km'] = maskStreamKey(streamKey);
      p['kf'] = streamKeyFingerprint(rest.appId, streamKey);
    }
    if (callbackUrl !== undefined) p['callbackUrl'] = describeCallbackUrl(callbackUrl);
  } else {
    p['invalid'] = true;
    const source = typeof payload === 'object' && payload !== null ? payload : {};
    for (const field of SALVAGED_FIELDS) {
      const value: unknown = Object.hasOwn(source, field)
        ? (source as Record<string, unknown>)[field]
        : undefined;
      if (typeof value === 'string' && value.length <= SALVAGE_MAX_CHARS) p[field] = value;
    }
    const at: unknown = (source as Record<string, unknown>)['requestedAt'];
    if (typeof at === 'string' && Number.isFinite(Date.parse(at))) requestedAt = at;
  }
  return { event: { e: 'q', t: now, j: jobId, p }, requestedAt };
}
