import { REGIONS } from '../agora/types.js';
import type { Region } from '../agora/types.js';

/**
 * The step cursor of one takedown, persisted in the job (`job.data.progress`) after every change
 * worth keeping, so a retry resumes at the first unfinished piece and never repeats a finished one.
 *
 *   resolve → revoke-key → disconnect → extra-regions → verify → done
 *
 * `extra-regions` runs only for a job with extra key regions (the request's `extraRegions` and
 * `AGORA_KEY_REGIONS`): the job's region is revoked and cut first, without waiting for them.
 */
export const TAKEDOWN_STEPS = [
  'resolve',
  'revoke-key',
  'disconnect',
  'extra-regions',
  'verify',
  'done',
] as const;
export type TakedownStep = (typeof TAKEDOWN_STEPS)[number];

export type RevokeResult = 'deleted' | 'not-found';
export type DisconnectOutcome = 'disconnected' | 'not-found';

export interface TakedownProgress {
  /** The first step not finished yet. */
  step: TakedownStep;
  /** The key to revoke: from the payload, or learned by resolve. Undefined = unknown. */
  streamKey?: string;
  /** Channel that scopes session listings: from the payload or the key/stream. */
  channel?: string;
  /** SIDs to disconnect (the given one first, then live sessions of the key), no duplicates. */
  sids: string[];
  /** Key revocation per region; a region listed here is never revoked again. */
  revoked: Partial<Record<Region, RevokeResult>>;
  /**
   * The region of each SID found outside the job's region (an extra region's sessions); a SID
   * not listed here is in the job's region. Own properties only.
   */
  sidRegions?: Record<string, Region>;
  /** Extra regions finished: key revoked there, its sessions listed and cut. Never redone. */
  swept?: Region[];
  /**
   * Extra regions given up on after a permanent error (the answer, e.g. `delete-key HTTP 403
   * "…"`). Never retried by this run; the job goes to the DLQ once the rest is done.
   */
  failedRegions?: Partial<Record<Region, string>>;
  /** Disconnect result per SID (own properties only; read with Object.hasOwn). */
  disconnected: Record<string, DisconnectOutcome>;
  /** SIDs found live by verify (reconnects that slipped in, pushes that were starting). */
  foundByVerify: string[];
  /** Verify rounds run so far, over all attempts. */
  verifyRounds: number;
  /** When the next verify round may run (epoch ms): the end of its settle delay. */
  verifyAt?: number;
  /** Verify rounds that found live sessions in the current sequence (reset when it gives up). */
  verifyStreak?: number;
  /** Whether resolve saw anything live (the given SID or a session of the key); false when it did
   * not look (SID and key both given). */
  resolvedLive: boolean;
  /** X-Request-IDs of the calls made, oldest first, bounded to the last MAX_REQUEST_IDS. */
  requestIds: string[];
}

/** Enough to quote to Agora support without growing the job without bound. */
export const MAX_REQUEST_IDS = 50;

export function initialProgress(): TakedownProgress {
  return {
    step: 'resolve',
    sids: [],
    revoked: {},
    disconnected: {},
    foundByVerify: [],
    verifyRounds: 0,
    resolvedLive: false,
    requestIds: [],
  };
}

/** Appends request ids, keeping the newest MAX_REQUEST_IDS. */
export function withRequestId(
  progress: TakedownProgress,
  ...requestIds: string[]
): TakedownProgress {
  const all = [...progress.requestIds, ...requestIds];
  return {
    ...progress,
    requestIds: all.length > MAX_REQUEST_IDS ? all.slice(-MAX_REQUEST_IDS) : all,
  };
}

/** Adds SIDs that are not listed yet, keeping order. */
export function withSids(progress: TakedownProgress, sids: readonly string[]): TakedownProgress {
  const next = [...progress.sids];
  for (const sid of sids) if (!next.includes(sid)) next.push(sid);
  return { ...progress, sids: next };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((v) => typeof v === 'string');
}

/**
 * Reads progress back from job data. Anything malformed yields undefined, i.e. the takedown starts
 * over: every step is idempotent, so starting over is always safe, only slower.
 */
export function parseTakedownProgress(value: unknown): TakedownProgress | undefined {
  if (!isObject(value)) return undefined;
  const {
    step,
    streamKey,
    channel,
    sids,
    revoked,
    disconnected,
    foundByVerify,
    verifyRounds,
    resolvedLive,
    requestIds,
    verifyAt,
    verifyStreak,
    sidRegions,
    swept,
    failedRegions,
  } = value;
  if (typeof step !== 'string' || !(TAKEDOWN_STEPS as readonly string[]).includes(step))
    return undefined;
  if (streamKey !== undefined && typeof streamKey !== 'string') return undefined;
  if (channel !== undefined && typeof channel !== 'string') return undefined;
  if (!isStringArray(sids) || !isStringArray(foundByVerify) || !isStringArray(requestIds))
    return undefined;
  if (typeof verifyRounds !== 'number' || !Number.isSafeInteger(verifyRounds) || verifyRounds < 0)
    return undefined;
  if (typeof resolvedLive !== 'boolean') return undefined;
  if (verifyAt !== undefined && (typeof verifyAt !== 'number' || !Number.isFinite(verifyAt)))
    return undefined;
  if (
    verifyStreak !== undefined &&
    (typeof verifyStreak !== 'number' || !Number.isSafeInteger(verifyStreak) || verifyStreak < 0)
  )
    return undefined;
  if (!isObject(revoked) || !isObject(disconnected)) return undefined;
  if (sidRegions !== undefined && !isObject(sidRegions)) return undefined;
  if (failedRegions !== undefined && !isObject(failedRegions)) return undefined;
  if (swept !== undefined && !(isStringArray(swept) && swept.every(isRegion))) return undefined;

  const revokedOut: Partial<Record<Region, RevokeResult>> = {};
  for (const [region, result] of Object.entries(revoked)) {
    if (!(REGIONS as readonly string[]).includes(region)) return undefined;
    if (result !== 'deleted' && result !== 'not-found') return undefined;
    revokedOut[region as Region] = result;
  }
  const disconnectedOut: Record<string, DisconnectOutcome> = {};
  for (const [sid, result] of Object.entries(disconnected)) {
    if (result !== 'disconnected' && result !== 'not-found') return undefined;
    ownProperty(disconnectedOut, sid, result);
  }

  let sidRegionsOut: Record<string, Region> | undefined;
  if (sidRegions !== undefined) {
    sidRegionsOut = {};
    for (const [sid, region] of Object.entries(sidRegions)) {
      if (!isRegion(region)) return undefined;
      ownProperty(sidRegionsOut, sid, region);
    }
  }
  let failedOut: Partial<Record<Region, string>> | undefined;
  if (failedRegions !== undefined) {
    failedOut = {};
    for (const [region, answer] of Object.entries(failedRegions)) {
      if (!isRegion(region) || typeof answer !== 'string') return undefined;
      failedOut[region] = answer;
    }
  }

  const progress: TakedownProgress = {
    step: step as TakedownStep,
    sids: [...sids],
    revoked: revokedOut,
    disconnected: disconnectedOut,
    foundByVerify: [...foundByVerify],
    verifyRounds,
    resolvedLive,
    requestIds: requestIds.slice(-MAX_REQUEST_IDS),
  };
  if (streamKey !== undefined) progress.streamKey = streamKey;
  if (channel !== undefined) progress.channel = channel;
  if (verifyAt !== undefined) progress.verifyAt = verifyAt;
  if (verifyStreak !== undefined) progress.verifyStreak = verifyStreak;
  if (sidRegionsOut !== undefined) progress.sidRegions = sidRegionsOut;
  if (swept !== undefined) progress.swept = [...swept];
  if (failedOut !== undefined) progress.failedRegions = failedOut;
  return progress;
}

function isRegion(value: unknown): value is Region {
  return typeof value === 'string' && (REGIONS as readonly string[]).includes(value);
}

/** defineProperty: a SID such as "__proto__" must stay an own data property. */
function ownProperty<T>(target: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(target, key, {
    value,
    enumerable: true,
    writable: true,
    configurable: true,
  });
}

/** The region a SID of this takedown lives in: recorded when found elsewhere, else the job's. */
export function regionOfSid(jobRegion: Region, progress: TakedownProgress, sid: string): Region {
  const regions = progress.sidRegions;
  return regions !== undefined && Object.hasOwn(regions, sid)
    ? (regions[sid] as Region)
    : jobRegion;
}

/** Adds SIDs found live in `region`, recording where each is when that is not the job's region. */
export function withSidsIn(
  progress: TakedownProgress,
  sids: readonly string[],
  region: Region,
  jobRegion: Region,
): TakedownProgress {
  if (region === jobRegion || sids.length === 0) return withSids(progress, sids);
  const sidRegions: Record<string, Region> = {};
  for (const [sid, r] of Object.entries(progress.sidRegions ?? {})) ownProperty(sidRegions, sid, r);
  for (const sid of sids) ownProperty(sidRegions, sid, region);
  return { ...withSids(progress, sids), sidRegions };
}
