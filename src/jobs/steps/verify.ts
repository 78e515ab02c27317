import { VerifyFailedError } from '../errors.js';
import type { TakedownDeps } from '../takedown-deps.js';
import { withRequestId, withSids } from '../takedown-progress.js';
import type { TakedownProgress } from '../takedown-progress.js';
import type { TakedownPayload } from '../takedown-request.js';
import { disconnectSid } from './disconnect.js';
import { listKeySessions } from './list-key-sessions.js';

/**
 * After a settle delay, looks for live sessions of the key again: a reconnect that slipped in
 * before the revocation took hold, or a push that was starting while we listed. Any found is cut
 * too and the check repeats, up to `maxRounds` rounds per attempt; sessions still live in the last
 * round → VerifyFailedError (retryable: the next attempt verifies again with fresh rounds).
 *
 * Skipped when disabled or when no key is known: without a key nothing was revoked, so nothing
 * was cut either (resolve ends such takedowns as already offline).
 */
export async function verifyStep(
  payload: TakedownPayload,
  progress: TakedownProgress,
  deps: TakedownDeps,
): Promise<TakedownProgress> {
  const streamKey = progress.streamKey;
  if (!deps.verify.enabled || streamKey === undefined) return { ...progress, step: 'done' };
  let next = progress;
  for (let round = 1; round <= deps.verify.maxRounds; round++) {
    await deps.sleep(deps.verify.delayMs, deps.signal);
    const listed = await listKeySessions(payload, { streamKey, channel: next.channel }, deps);
    next = withRequestId({ ...next, verifyRounds: next.verifyRounds + 1 }, listed.requestId);
    if (listed.sids.length === 0) return { ...next, step: 'done' };

    const fresh = listed.sids.filter((sid) => !next.sids.includes(sid));
    deps.logger?.warn(
      { round, liveSids: listed.sids, newSids: fresh },
      'verify found live sessions of a revoked key; disconnecting them',
    );
    next = withSids(
      {
        ...next,
        foundByVerify: [
          ...next.foundByVerify,
          ...fresh.filter((sid) => !next.foundByVerify.includes(sid)),
        ],
      },
      fresh,
    );
    await deps.persist(next);
    // Also re-sends for SIDs cut before but still listed: harmless (404 = gone) and they are live.
    for (const sid of listed.sids) next = await disconnectSid(payload, next, sid, deps);

    if (round === deps.verify.maxRounds) {
      throw new VerifyFailedError(
        `sessions of the stream key were still live after ${round} verify round(s): ${listed.sids.join(', ')}`,
        { liveSids: listed.sids },
      );
    }
  }
  return { ...next, step: 'done' };
}
