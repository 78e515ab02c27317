import type { Region } from '../../agora/types.js';
import { PermanentJobError } from '../errors.js';
import { pendingExtraRegions } from '../region-answers.js';
import type { TakedownDeps } from '../takedown-deps.js';
import { callOptions } from '../takedown-deps.js';
import { regionOfSid, withRequestId } from '../takedown-progress.js';
import type { TakedownProgress } from '../takedown-progress.js';
import type { TakedownPayload } from '../takedown-request.js';

/**
 * The ordering invariant: a session is never cut before its key is revoked in the session's
 * region, or the encoder would reconnect at once with a new SID. Breaking it is a bug, not bad luck.
 */
export function assertRevoked(region: Region, progress: TakedownProgress): void {
  if (progress.streamKey === undefined || progress.revoked[region] === undefined) {
    throw new PermanentJobError(
      `internal: refusing to disconnect before the stream key is revoked in region ${region}`,
    );
  }
}

/**
 * Force-disconnects one SID in its region (the job's, or the extra region it was found in) and
 * records it; a SID already recorded as disconnected stays so.
 */
export async function disconnectSid(
  payload: TakedownPayload,
  progress: TakedownProgress,
  sid: string,
  deps: TakedownDeps,
  /** Applied after the call, before the save (the last SID's save also moves the cursor on). */
  then: (next: TakedownProgress) => TakedownProgress = (next) => next,
): Promise<TakedownProgress> {
  const region = regionOfSid(payload.region, progress, sid);
  assertRevoked(region, progress);
  const answer = await deps.api.disconnectStream(
    { region, appId: payload.appId, sid },
    callOptions(deps),
  );
  const before = Object.hasOwn(progress.disconnected, sid) ? progress.disconnected[sid] : undefined;
  const result = before === 'disconnected' ? before : answer.result;
  const next = then(
    withRequestId(
      { ...progress, disconnected: { ...progress.disconnected, [sid]: result } },
      answer.requestId,
    ),
  );
  await deps.persist(next);
  return next;
}

/**
 * Cuts every SID not cut yet, persisting after each; the last SID's save already moves the cursor
 * on — to `extra-regions` when the key has extra regions left, else to `verify` with the end of
 * the settle delay (counted from that last cut), so neither needs a save of its own. 404 means
 * already offline: fine.
 */
export async function disconnectStep(
  payload: TakedownPayload,
  progress: TakedownProgress,
  deps: TakedownDeps,
): Promise<TakedownProgress> {
  const pending = progress.sids.filter((sid) => !Object.hasOwn(progress.disconnected, sid));
  let next = progress;
  for (const [i, sid] of pending.entries()) {
    // Only saved once this SID is cut: a failure leaves the cursor at `disconnect`.
    const last = i === pending.length - 1;
    next = await disconnectSid(payload, next, sid, deps, (cut) =>
      last ? afterJobRegion(payload, cut, deps) : cut,
    );
  }
  if (next.step !== 'disconnect') return next;
  // Nothing was cut (or saved) here: verify sets and saves its own settle deadline.
  return hasExtraRegionsLeft(payload, next, deps)
    ? { ...next, step: 'extra-regions' }
    : { ...next, step: 'verify' };
}

/** Whether the `extra-regions` step has work: a key, and extra regions not finished yet. */
export function hasExtraRegionsLeft(
  payload: TakedownPayload,
  progress: TakedownProgress,
  deps: Pick<TakedownDeps, 'keyRegions'>,
): boolean {
  return (
    progress.streamKey !== undefined &&
    pendingExtraRegions(payload, progress, deps.keyRegions).length > 0
  );
}

/** The job's region is cut: on to the extra regions, or straight to verify. */
function afterJobRegion(
  payload: TakedownPayload,
  progress: TakedownProgress,
  deps: TakedownDeps,
): TakedownProgress {
  return hasExtraRegionsLeft(payload, progress, deps)
    ? { ...progress, step: 'extra-regions' }
    : enterVerify(progress, deps);
}

/** The cursor moves on to `verify`, due after one settle delay from now. */
export function enterVerify(progress: TakedownProgress, deps: TakedownDeps): TakedownProgress {
  return { ...progress, step: 'verify', ...settleDeadline(deps) };
}

/** `verifyAt` one settle delay from now, when the verify step will run at all. */
function settleDeadline(deps: TakedownDeps): { verifyAt?: number } {
  return deps.verify.enabled ? { verifyAt: (deps.now ?? Date.now)() + deps.verify.delayMs } : {};
}
