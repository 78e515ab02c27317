import type { TakedownDeps } from '../takedown-deps.js';
import { callOptions } from '../takedown-deps.js';
import { withRequestId } from '../takedown-progress.js';
import type { TakedownProgress } from '../takedown-progress.js';
import type { TakedownPayload } from '../takedown-request.js';

/**
 * Deletes the key in the job's region and saves the answer with the cursor on `disconnect`, so a
 * retry never repeats it. 404 means already gone: as good as deleted. Extra regions come after
 * the job's region is cut (the `extra-regions` step): their trouble never holds this cut back.
 * No key known (a SID that was not live) → nothing to revoke.
 */
export async function revokeKeyStep(
  payload: TakedownPayload,
  progress: TakedownProgress,
  deps: TakedownDeps,
): Promise<TakedownProgress> {
  const streamKey = progress.streamKey;
  if (streamKey === undefined || progress.revoked[payload.region] !== undefined) {
    return { ...progress, step: 'disconnect' };
  }
  const answer = await deps.api.deleteStreamKey(
    { region: payload.region, appId: payload.appId, streamKey },
    callOptions(deps),
  );
  const next = withRequestId(
    {
      ...progress,
      revoked: { ...progress.revoked, [payload.region]: answer.result },
      step: 'disconnect',
    },
    answer.requestId,
  );
  await deps.persist(next);
  return next;
}
