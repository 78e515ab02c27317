import type { Region } from '../agora/types.js';
import type { TakedownProgress } from './takedown-progress.js';
import type { TakedownPayload } from './takedown-request.js';

/**
 * Where a takedown stands in each region of its key, as the result and the DLQ entry show it:
 * `revoked` (the key's DELETE answered 200), `not-found` (404: not there, or already gone),
 * `failed: <answer>` (a permanent error, e.g. `delete-key HTTP 403 "…"`; or, in a DLQ entry, the
 * last error of the region being worked on), `pending` (not reached).
 */
export type RegionAnswer = 'revoked' | 'not-found' | 'pending' | `failed: ${string}`;

/**
 * The extra regions of a job, in the order they are worked on: the request's `extraRegions`,
 * then `AGORA_KEY_REGIONS`; never the job's region, no repeats.
 */
export function extraRegionsOf(
  payload: Pick<TakedownPayload, 'region' | 'extraRegions'>,
  keyRegions: readonly Region[],
): Region[] {
  const out: Region[] = [];
  for (const region of [...(payload.extraRegions ?? []), ...keyRegions]) {
    if (region !== payload.region && !out.includes(region)) out.push(region);
  }
  return out;
}

/** Extra regions neither finished nor given up on yet. */
export function pendingExtraRegions(
  payload: Pick<TakedownPayload, 'region' | 'extraRegions'>,
  progress: Pick<TakedownProgress, 'swept' | 'failedRegions'>,
  keyRegions: readonly Region[],
): Region[] {
  return extraRegionsOf(payload, keyRegions).filter(
    (region) =>
      !(progress.swept ?? []).includes(region) && progress.failedRegions?.[region] === undefined,
  );
}

const MAX_ANSWER_CHARS = 300;

/**
 * A short, secret-free account of an error for a region's answer: the call, the HTTP status and
 * Agora's message when it was an answer from Agora, else the error's message (bounded).
 */
export function describeRegionError(err: unknown): string {
  if (typeof err !== 'object' || err === null) return String(err).slice(0, MAX_ANSWER_CHARS);
  const { op, status, agoraMessage, message } = err as Record<string, unknown>;
  let text: string;
  if (typeof status === 'number') {
    const call = typeof op === 'string' ? `${op} ` : '';
    const detail =
      typeof agoraMessage === 'string' && agoraMessage !== '' ? ` "${agoraMessage}"` : '';
    text = `${call}HTTP ${status}${detail}`;
  } else {
    text = typeof message === 'string' && message !== '' ? message : 'unknown error';
  }
  return text.length > MAX_ANSWER_CHARS ? `${text.slice(0, MAX_ANSWER_CHARS)}…` : text;
}

/**
 * Each region's answer: the regions in `planned` first (job region, then the extra ones), then
 * any other region the progress mentions. A failure wins over a revocation (the key is gone
 * there, but its sessions may not be).
 */
export function regionAnswers(
  progress: Pick<TakedownProgress, 'revoked' | 'failedRegions'>,
  planned: readonly Region[] = [],
): Partial<Record<Region, RegionAnswer>> {
  const regions: Region[] = [];
  const failed = progress.failedRegions ?? {};
  for (const region of [
    ...planned,
    ...(Object.keys(progress.revoked) as Region[]),
    ...(Object.keys(failed) as Region[]),
  ]) {
    if (!regions.includes(region)) regions.push(region);
  }
  const out: Partial<Record<Region, RegionAnswer>> = {};
  for (const region of regions) {
    const failure = failed[region];
    const revoked = progress.revoked[region];
    out[region] =
      failure !== undefined
        ? `failed: ${failure}`
        : revoked === 'deleted'
          ? 'revoked'
          : revoked === 'not-found'
            ? 'not-found'
            : 'pending';
  }
  return out;
}
