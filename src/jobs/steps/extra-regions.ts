import type { Region } from '../../agora/types.js';
import { describeRegionError, pendingExtraRegions } from '../region-answers.js';
import type { TakedownDeps } from '../takedown-deps.js';
import { callOptions } from '../takedown-deps.js';
import { withRequestId, withSidsIn } from '../takedown-progress.js';
import type { TakedownProgress } from '../takedown-progress.js';
import type { TakedownPayload } from '../takedown-request.js';
import { disconnectSid, enterVerify } from './disconnect.js';
import { listKeySessions } from './list-key-sessions.js';

/**
 * After the job's region is revoked and cut: in each extra region of the key (the request's
 * `extraRegions`, then `AGORA_KEY_REGIONS`), revoke the key, list the key's sessions there and
 * cut them. Saved after each piece (a region's revocation, each cut, the region finished), so a
 * retry resumes in the first unfinished region and never repeats a finished one.
 *
 * A permanent error in a region (403, 400, 401…) is recorded as that region's answer and the
 * next region is tried: the job goes to the DLQ only at the end, once verify has checked the
 * rest (ExtraRegionError, thrown by runTakedown). A retryable error propagates as it is: the
 * retry resumes in that region.
 */
export async function extraRegionsStep(
  payload: TakedownPayload,
  progress: TakedownProgress,
  deps: TakedownDeps,
): Promise<TakedownProgress> {
  const streamKey = progress.streamKey;
  const pending =
    streamKey === undefined ? [] : pendingExtraRegions(payload, progress, deps.keyRegions);
  let next = progress;
  for (const [i, region] of pending.entries()) {
    const last = i === pending.length - 1;
    next = await sweepRegion(payload, next, region, streamKey as string, deps, (p) =>
      last ? enterVerify(p, deps) : p,
    );
  }
  // Nothing was saved here (no region left): verify sets and saves its own settle deadline.
  return next.step === 'verify' ? next : { ...next, step: 'verify' };
}

/** Revoke, list, cut in one extra region; `then` is applied to the region's final save. */
async function sweepRegion(
  payload: TakedownPayload,
  progress: TakedownProgress,
  region: Region,
  streamKey: string,
  deps: TakedownDeps,
  then: (next: TakedownProgress) => TakedownProgress,
): Promise<TakedownProgress> {
  let next = progress;
  try {
    if (next.revoked[region] === undefined) {
      const answer = await deps.api.deleteStreamKey(
        { region, appId: payload.appId, streamKey },
        callOptions(deps),
      );
      next = withRequestId(
        { ...next, revoked: { ...next.revoked, [region]: answer.result } },
        answer.requestId,
      );
      await deps.persist(next);
    }
    // The key is gone here now: whatever is listed cannot come back once cut.
    const listed = await listKeySessions(
      { region, appId: payload.appId },
      { streamKey, channel: next.channel },
      deps,
    );
    next = withSidsIn(withRequestId(next, listed.requestId), listed.sids, region, payload.region);
    const finished = (p: TakedownProgress): TakedownProgress =>
      then({ ...p, swept: [...(p.swept ?? []), region] });
    if (listed.sids.length === 0) {
      next = finished(next);
      await deps.persist(next);
      return next;
    }
    for (const [i, sid] of listed.sids.entries()) {
      const last = i === listed.sids.length - 1;
      next = await disconnectSid(payload, next, sid, deps, (cut) => (last ? finished(cut) : cut));
    }
    return next;
  } catch (err) {
    if (!isPermanent(err)) throw err;
    const answer = describeRegionError(err);
    deps.logger?.warn(
      { region, answer },
      'extra region failed for good; going on with the other regions (the job ends in the DLQ)',
    );
    next = then({ ...next, failedRegions: { ...next.failedRegions, [region]: answer } });
    await deps.persist(next);
    return next;
  }
}

/** An error that says retrying cannot help (Agora 400/401/403, a permanent job error). */
function isPermanent(err: unknown): boolean {
  return (
    typeof err === 'object' && err !== null && (err as { retryable?: unknown }).retryable === false
  );
}
