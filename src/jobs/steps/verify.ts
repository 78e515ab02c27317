import { ResumeLaterError, VerifyFailedError } from '../errors.js';
import type { TakedownDeps } from '../takedown-deps.js';
import type { Region } from '../../agora/types.js';
import { withRequestId, withSidsIn } from '../takedown-progress.js';
import type { TakedownProgress } from '../takedown-progress.js';
import type { TakedownPayload } from '../takedown-request.js';
import { disconnectSid } from './disconnect.js';
import { listKeySessions } from './list-key-sessions.js';

/**
 * After a settle delay, looks for live sessions of the key again: a reconnect that slipped in
 * before the revocation took hold, or a push that was starting while we listed. Any found is cut
 * too and the check repeats after another settle delay, up to `maxRounds` rounds that find
 * something; sessions still live in the last one → VerifyFailedError (retryable: the next attempt
 * verifies again with fresh rounds).
 *
 * The settle is a deadline in the cursor (`verifyAt`, saved with the last disconnect or here), so
 * a worker that can park the job (`deferWaitsOverMs`) does not hold a slot through it: the step
 * throws ResumeLaterError and runs again, from the cursor, when the deadline has passed.
 *
 * Every region of the key is checked: the job's, and each extra region finished by the
 * `extra-regions` step (one that failed for good is not: the DLQ entry says so). A session found
 * in an extra region is cut there.
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
  for (;;) {
    await settle(next, deps);
    const live: { sid: string; region: Region }[] = [];
    for (const region of [payload.region, ...(next.swept ?? [])]) {
      const listed = await listKeySessions(
        { region, appId: payload.appId },
        { streamKey, channel: next.channel },
        deps,
      );
      next = withRequestId(next, listed.requestId);
      for (const sid of listed.sids) live.push({ sid, region });
    }
    next = { ...next, verifyRounds: next.verifyRounds + 1 };
    if (live.length === 0) return finish(next, 'done');

    const streak = (next.verifyStreak ?? 0) + 1;
    const liveSids = live.map((s) => s.sid);
    const fresh = live.filter((s) => !next.sids.includes(s.sid));
    deps.logger?.warn(
      { round: streak, liveSids, newSids: fresh.map((s) => s.sid) },
      'verify found live sessions of a revoked key; disconnecting them',
    );
    next = {
      ...next,
      foundByVerify: [
        ...next.foundByVerify,
        ...fresh.map((s) => s.sid).filter((sid) => !next.foundByVerify.includes(sid)),
      ],
    };
    for (const s of fresh) next = withSidsIn(next, [s.sid], s.region, payload.region);
    await deps.persist(next);
    // Also re-sends for SIDs cut before but still listed: harmless (404 = gone) and they are live.
    for (const [i, sid] of liveSids.entries()) {
      const last = i === liveSids.length - 1;
      // The last cut's save carries the next round's deadline (or the reset for the next attempt).
      next = await disconnectSid(payload, next, sid, deps, (cut) =>
        !last
          ? cut
          : streak >= deps.verify.maxRounds
            ? finish(cut, 'verify')
            : { ...cut, verifyStreak: streak, verifyAt: now(deps) + deps.verify.delayMs },
      );
    }
    if (streak >= deps.verify.maxRounds) {
      throw new VerifyFailedError(
        `sessions of the stream key were still live after ${streak} verify round(s): ${liveSids.join(', ')}`,
        { liveSids },
      );
    }
  }
}

function now(deps: TakedownDeps): number {
  return (deps.now ?? Date.now)();
}

/** Leaves the verify sequence: no deadline, no streak (a retry starts with a fresh settle). */
function finish(progress: TakedownProgress, step: 'done' | 'verify'): TakedownProgress {
  const { verifyAt: _at, verifyStreak: _streak, ...rest } = progress;
  return { ...rest, step };
}

/**
 * Waits for the settle deadline (one delay from now when there is none yet). Short waits, or all
 * when the caller cannot park, are slept; a longer one saves the deadline if it is new and throws
 * ResumeLaterError.
 */
async function settle(progress: TakedownProgress, deps: TakedownDeps): Promise<void> {
  const at = progress.verifyAt ?? now(deps) + deps.verify.delayMs;
  const waitMs = at - now(deps);
  if (waitMs <= 0) return;
  if (deps.deferWaitsOverMs === undefined || waitMs <= deps.deferWaitsOverMs) {
    await deps.sleep(waitMs, deps.signal);
    return;
  }
  // A deadline already in the cursor was saved with it; a new one is saved now.
  if (progress.verifyAt === undefined) await deps.persist({ ...progress, verifyAt: at });
  throw new ResumeLaterError(at, 'settle before verifying');
}
