import { isValidStreamKey, previewValue } from '../../agora/paths.js';
import { REGIONS } from '../../agora/types.js';
import type { Region } from '../../agora/types.js';
import { KeySidMismatchError, PermanentJobError, WrongRegionError } from '../errors.js';
import { maskStreamKey } from '../../logging/mask-stream-key.js';
import type { TakedownDeps } from '../takedown-deps.js';
import { callOptions } from '../takedown-deps.js';
import { withRequestId, withSids } from '../takedown-progress.js';
import type { TakedownProgress } from '../takedown-progress.js';
import type { TakedownPayload } from '../takedown-request.js';
import { listKeySessions } from './list-key-sessions.js';

/**
 * Learns what the request did not say, checks what it did say, and persists what it learned
 * from the API: after the revocation the API no longer tells it (a SID gone offline names no
 * key, a deleted key no channel), and a retry must still revoke that key and list by that channel.
 * - A SID (with or without a key): query it in the job's region before anything is revoked.
 *   - Live: its url names its key. A key given with it must be that key, or the takedown stops
 *     for good (KeySidMismatchError): revoking it would hit another streamer's key while this
 *     push reconnects with its own. Without a key, the url's key is the one to revoke.
 *   - Not live here: the other regions are asked. Live elsewhere → WrongRegionError (a wrong
 *     region must never report success). Live nowhere → a key given with it is still revoked
 *     and its sessions cut; without a key there is nothing to do (`already-offline`).
 * - Key without SID: learn the channel from the key unless the request named one, then list the
 *   key's live sessions, so every session of the key gets cut.
 */
export async function resolveStep(
  payload: TakedownPayload,
  progress: TakedownProgress,
  deps: TakedownDeps,
): Promise<TakedownProgress> {
  const opts = callOptions(deps);
  const base = { region: payload.region, appId: payload.appId };

  if (payload.sid !== undefined) {
    const sid = payload.sid;
    const answer = await deps.api.queryOnlineStream({ ...base, sid }, opts);
    let next = withRequestId(progress, answer.requestId);
    if (answer.result === 'not-found') {
      const elsewhere = await findSidElsewhere(payload, sid, deps);
      next = withRequestId(next, ...elsewhere.requestIds);
      if (elsewhere.region !== undefined) {
        throw new WrongRegionError(
          `sid ${sid} is not live in region ${payload.region} but in region ${elsewhere.region}: ` +
            `nothing was revoked or cut; enqueue it again with region ${elsewhere.region}`,
          { region: elsewhere.region },
        );
      }
      if (payload.streamKey === undefined) {
        return { ...next, sids: [], resolvedLive: false, step: 'done' };
      }
      // Not live anywhere (e.g. between reconnects): the key still gets revoked and its live
      // sessions cut (verify lists them).
      const learned = keyStep(withSids(next, [sid]), payload.streamKey, payload.channel);
      await deps.persist(learned);
      return learned;
    }
    const { stream } = answer;
    deps.onStreamSeen?.(stream.beginAt);
    if (!isValidStreamKey(stream.streamKey)) {
      // Cutting the session without revoking its key would only make the encoder reconnect.
      throw new PermanentJobError(
        `cannot learn the stream key of sid ${sid}: its url ${previewValue(stream.url)} does not end ` +
          'in /live/<key> with a valid key; refusing to disconnect without revoking the key first ' +
          '(enqueue again with the streamKey)',
      );
    }
    if (payload.streamKey !== undefined && payload.streamKey !== stream.streamKey) {
      throw new KeySidMismatchError(
        `stream key and sid do not belong together: sid ${sid} pushes with key ` +
          `${maskStreamKey(stream.streamKey)}, not ${maskStreamKey(payload.streamKey)}; ` +
          'nothing was revoked or cut',
      );
    }
    const channel = stream.channel !== '' ? stream.channel : payload.channel;
    const learned: TakedownProgress = {
      ...keyStep(withSids(next, [sid]), stream.streamKey, channel),
      resolvedLive: true,
    };
    // With the key given, nothing learned needs keeping: a retry simply checks again.
    if (payload.streamKey === undefined) await deps.persist(learned);
    return learned;
  }

  const streamKey = payload.streamKey;
  if (streamKey === undefined) {
    throw new PermanentJobError('internal: a takedown needs a sid or a streamKey');
  }
  let next = progress;
  let channel = payload.channel;
  if (channel === undefined) {
    const answer = await deps.api.queryStreamKey({ ...base, streamKey }, opts);
    next = withRequestId(next, answer.requestId);
    // A key created with an empty channel pushes into a random one: no channel to scope by.
    if (answer.result === 'found' && answer.key.channel !== '') channel = answer.key.channel;
  }
  const listed = await listKeySessions(payload, { streamKey, channel }, deps);
  next = withRequestId(next, listed.requestId);
  const learned: TakedownProgress = {
    ...withSids(next, listed.sids),
    streamKey,
    ...(channel === undefined ? {} : { channel }),
    resolvedLive: listed.sids.length > 0,
    step: 'revoke-key',
  };
  await deps.persist(learned);
  return learned;
}

/** Progress that goes on to revoke `streamKey` (and lists sessions by `channel` when known). */
function keyStep(
  progress: TakedownProgress,
  streamKey: string,
  channel: string | undefined,
): TakedownProgress {
  return {
    ...progress,
    streamKey,
    ...(channel === undefined ? {} : { channel }),
    resolvedLive: false,
    step: 'revoke-key',
  };
}

/** Asks the other regions for a SID the job's region does not know (query class, one each). */
async function findSidElsewhere(
  payload: TakedownPayload,
  sid: string,
  deps: TakedownDeps,
): Promise<{ region: Region | undefined; requestIds: string[] }> {
  const requestIds: string[] = [];
  for (const region of REGIONS) {
    if (region === payload.region) continue;
    const answer = await deps.api.queryOnlineStream(
      { region, appId: payload.appId, sid },
      callOptions(deps),
    );
    requestIds.push(answer.requestId);
    if (answer.result === 'found') return { region, requestIds };
  }
  return { region: undefined, requestIds };
}
