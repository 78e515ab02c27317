import type { Region } from '../../agora/types.js';
import type { TakedownDeps } from '../takedown-deps.js';
import { callOptions } from '../takedown-deps.js';
import { withRequestId } from '../takedown-progress.js';
import type { TakedownProgress } from '../takedown-progress.js';
import type { TakedownPayload } from '../takedown-request.js';

/** The job's region first (disconnect waits for it), then the extra key regions, no repeats. */
export function revokeRegions(jobRegion: Region, keyRegions: readonly Region[]): Region[] {
  const regions: Region[] = [jobRegion];
  for (const region of keyRegions) if (!regions.includes(region)) regions.push(region);
  return regions;
}

/**
 * Deletes the key in every region not revoked yet, persisting after each one so a retry never
 * repeats a finished region; the last region's save already moves the cursor to `disconnect`.
 * 404 means already gone: as good as deleted. No key known (a SID that was not live) → nothing
 * to revoke.
 */
export async function revokeKeyStep(
  payload: TakedownPayload,
  progress: TakedownProgress,
  deps: TakedownDeps,
): Promise<TakedownProgress> {
  const streamKey = progress.streamKey;
  if (streamKey === undefined) return { ...progress, step: 'disconnect' };
  const opts = callOptions(deps);
  const pending = revokeRegions(payload.region, deps.keyRegions).filter(
    (region) => progress.revoked[region] === undefined,
  );
  let next = progress;
  for (const [i, region] of pending.entries()) {
    const answer = await deps.api.deleteStreamKey(
      { region, appId: payload.appId, streamKey },
      opts,
    );
    next = withRequestId(
      {
        ...next,
        revoked: { ...next.revoked, [region]: answer.result },
        step: i === pending.length - 1 ? 'disconnect' : 'revoke-key',
      },
      answer.requestId,
    );
    await deps.persist(next);
  }
  return { ...next, step: 'disconnect' };
}
