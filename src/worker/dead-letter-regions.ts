import type { Region } from '../agora/index.js';
import {
  ExtraRegionError,
  describeRegionError,
  extraRegionsOf,
  parseTakedownProgress,
  pendingExtraRegions,
  regionAnswers,
} from '../jobs/index.js';
import type { TakedownPayload, TakedownProgress } from '../jobs/index.js';

/**
 * Each region's answer for a DLQ entry: what the saved progress says, plus the error itself for
 * the region that was being worked on when it struck (the job's region in `revoke-key`, the
 * first unfinished extra region in `extra-regions`). Undefined when no key was known.
 */
export function deadLetterRegions(
  payload: TakedownPayload | undefined,
  data: unknown,
  keyRegions: readonly Region[],
  failedStep: string,
  err: unknown,
): Record<string, string> | undefined {
  if (payload === undefined || err instanceof ExtraRegionError) {
    return err instanceof ExtraRegionError ? { ...err.regions } : undefined;
  }
  const stored =
    typeof data === 'object' && data !== null
      ? (data as { progress?: unknown }).progress
      : undefined;
  const progress = parseTakedownProgress(stored);
  if (progress?.streamKey === undefined && payload.streamKey === undefined) return undefined;
  const known: Pick<TakedownProgress, 'revoked' | 'failedRegions'> = progress ?? { revoked: {} };
  const extra = extraRegionsOf(payload, keyRegions);
  const answers = { ...regionAnswers(known, [payload.region, ...extra]) } as Record<string, string>;
  const striking =
    failedStep === 'revoke-key' && known.revoked[payload.region] === undefined
      ? payload.region
      : failedStep === 'extra-regions' && progress !== undefined
        ? pendingExtraRegions(payload, progress, keyRegions)[0]
        : undefined;
  if (striking !== undefined) answers[striking] = `failed: ${describeRegionError(err)}`;
  return answers;
}
