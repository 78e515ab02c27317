import type { TakedownDeps } from '../takedown-deps.js';
import { callOptions } from '../takedown-deps.js';
import type { TakedownPayload } from '../takedown-request.js';

/**
 * The live sessions pushing with `streamKey`: the channel's streams when a channel is known,
 * else every stream of the app in the job's region, kept when their url names the key.
 */
export async function listKeySessions(
  payload: Pick<TakedownPayload, 'region' | 'appId'>,
  key: { streamKey: string; channel: string | undefined },
  deps: TakedownDeps,
): Promise<{ sids: string[]; requestId: string }> {
  const ref =
    key.channel === undefined
      ? { region: payload.region, appId: payload.appId }
      : { region: payload.region, appId: payload.appId, channel: key.channel };
  const answer = await deps.api.listOnlineStreams(ref, callOptions(deps));
  const sids: string[] = [];
  for (const stream of answer.streams) {
    if (stream.streamKey !== key.streamKey) continue;
    deps.onStreamSeen?.(stream.beginAt);
    if (!sids.includes(stream.sid)) sids.push(stream.sid);
  }
  return { sids, requestId: answer.requestId };
}
