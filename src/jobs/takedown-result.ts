import type { Region } from '../agora/types.js';
import { regionAnswers } from './region-answers.js';
import type { RegionAnswer } from './region-answers.js';
import type { RevokeResult, TakedownProgress } from './takedown-progress.js';
import type { TakedownPayload } from './takedown-request.js';

/**
 * - `taken-down`: something was done — the key was deleted in some region or a session was cut.
 * - `already-offline`: a SID was named (or sessions were seen) but every session was already
 *   gone and no key needed deleting; e.g. a SID given alone that is no longer live.
 * - `nothing-found`: only a key was named, and neither the key nor any session of it existed.
 */
export type TakedownOutcome = 'taken-down' | 'already-offline' | 'nothing-found';

/** What a finished takedown job returns (BullMQ stores it as the job's return value). */
export interface TakedownResult {
  outcome: TakedownOutcome;
  streamKey?: string;
  revoked: Partial<Record<Region, RevokeResult>>;
  /**
   * Each region's answer for the key, the job's region first: `revoked` or `not-found` (see
   * RegionAnswer). Empty when no key was known.
   */
  regions: Partial<Record<Region, RegionAnswer>>;
  /** SIDs the disconnect call cut (verify's included). */
  disconnected: string[];
  /** SIDs that were already offline (404 on disconnect, or a named SID that was not live). */
  alreadyOffline: string[];
  /** Of `disconnected`/`alreadyOffline`: the SIDs only verify found. */
  foundByVerify: string[];
  verifyRounds: number;
  requestIds: string[];
}

export function toTakedownResult(
  payload: TakedownPayload,
  progress: TakedownProgress,
): TakedownResult {
  const disconnected: string[] = [];
  const alreadyOffline: string[] = [];
  for (const [sid, result] of Object.entries(progress.disconnected)) {
    (result === 'disconnected' ? disconnected : alreadyOffline).push(sid);
  }
  if (payload.sid !== undefined && !Object.hasOwn(progress.disconnected, payload.sid)) {
    alreadyOffline.unshift(payload.sid);
  }
  const keyDeleted = Object.values(progress.revoked).includes('deleted');
  const outcome: TakedownOutcome =
    keyDeleted || disconnected.length > 0
      ? 'taken-down'
      : payload.sid !== undefined || progress.sids.length > 0
        ? 'already-offline'
        : 'nothing-found';
  const result: TakedownResult = {
    outcome,
    revoked: { ...progress.revoked },
    regions: regionAnswers(progress, progress.streamKey === undefined ? [] : [payload.region]),
    disconnected,
    alreadyOffline,
    foundByVerify: [...progress.foundByVerify],
    verifyRounds: progress.verifyRounds,
    requestIds: [...progress.requestIds],
  };
  if (progress.streamKey !== undefined) result.streamKey = progress.streamKey;
  return result;
}
