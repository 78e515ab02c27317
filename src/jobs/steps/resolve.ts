import { isValidStreamKey, previewValue } from '../../agora/paths.js';
import { PermanentJobError } from '../errors.js';
import type { TakedownDeps } from '../takedown-deps.js';
import { callOptions } from '../takedown-deps.js';
import { withRequestId, withSids } from '../takedown-progress.js';
import type { TakedownProgress } from '../takedown-progress.js';
import type { TakedownPayload } from '../takedown-request.js';
import { listKeySessions } from './list-key-sessions.js';

/**
 * Learns what the request did not say, and persists what it learned from the API: after the
 * revocation the API no longer tells it (a SID gone offline names no key, a deleted key no
 * channel), and a retry must still revoke that key and list by that channel.
 * - SID and key: nothing is missing, so no call and nothing to persist. The key's other live
 *   sessions (if any) are not looked for here: verify (on by default) lists the key's sessions
 *   after the revocation and cuts every one still live, the named SID's reconnects included.
 *   With verify disabled only the named SID is cut.
 * - SID without key: query the SID; its url names the key (and the stream its channel). Not
 *   live → nothing to revoke or cut: straight to `done` (outcome `already-offline`).
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

  if (payload.streamKey === undefined) {
    const sid = payload.sid;
    if (sid === undefined)
      throw new PermanentJobError('internal: a takedown needs a sid or a streamKey');
    const answer = await deps.api.queryOnlineStream({ ...base, sid }, opts);
    const next = withRequestId(progress, answer.requestId);
    if (answer.result === 'not-found') {
      return { ...next, sids: [], resolvedLive: false, step: 'done' };
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
    const channel = stream.channel !== '' ? stream.channel : payload.channel;
    const learned: TakedownProgress = {
      ...withSids(next, [sid]),
      streamKey: stream.streamKey,
      ...(channel === undefined ? {} : { channel }),
      resolvedLive: true,
      step: 'revoke-key',
    };
    await deps.persist(learned);
    return learned;
  }

  const streamKey = payload.streamKey;
  if (payload.sid !== undefined) {
    return {
      ...withSids(progress, [payload.sid]),
      streamKey,
      ...(payload.channel === undefined ? {} : { channel: payload.channel }),
      resolvedLive: false, // did not look
      step: 'revoke-key',
    };
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
