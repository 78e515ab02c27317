import type { AgoraOp, Region } from '../agora/types.js';
import { MESSAGES } from './agora-messages.js';
import type { GatewayState, KeyRecord, StreamRecord } from './gateway-state.js';
import { parseCreateKeyBody } from './parse-create-key-body.js';
import type { SidQueryShape } from './simulator-options.js';

export interface ApiAnswer {
  status: number;
  body: unknown;
}

export interface ApiCall {
  op: AgoraOp;
  region: Region;
  appId: string;
  streamKey?: string;
  sid?: string;
  channel?: string;
  body: Uint8Array;
}

const SUCCESS: ApiAnswer = { status: 200, body: { status: 'success' } };

function error(status: number, message: string): ApiAnswer {
  return { status, body: { message } };
}

function keyData(k: KeyRecord) {
  return {
    streamKey: k.streamKey,
    channel: k.channel,
    uid: k.uid,
    expiresAfter: k.expiresAfter,
    createdAt: k.createdAt,
  };
}

/** One online-stream item as the v1 list/SID queries return it (reference §3.1). */
export function streamItem(s: StreamRecord) {
  return {
    sid: s.sid,
    channel: s.channel,
    uid: s.uid,
    url: s.url,
    status: 'Running',
    beginAt: s.beginAt,
    bitrate: s.bitrate,
    video: { width: 1920, height: 1080, fps: 30 },
    audio: { channels: 2, sampleRate: 48000 },
  };
}

/** Serves one authenticated, rate-checked, unfaulted API call against the state. */
export function answerApiRequest(
  state: GatewayState,
  call: ApiCall,
  sidQueryShape: SidQueryShape,
  nowMs: number,
): ApiAnswer {
  const { appId, region } = call;
  switch (call.op) {
    case 'create-key': {
      const parsed = parseCreateKeyBody(call.body);
      if (!parsed.ok) return error(400, parsed.message);
      const key = state.createKey(appId, region, parsed.settings, nowMs);
      return { status: 200, body: { status: 'success', data: keyData(key) } };
    }
    case 'query-key':
    case 'delete-key': {
      const streamKey = call.streamKey ?? '';
      const found =
        call.op === 'query-key'
          ? state.lookupKey(appId, region, streamKey)
          : state.revokeKey(appId, region, streamKey);
      if (found.kind === 'not-found') return error(404, MESSAGES.keyNotFound);
      if (found.kind === 'other-app') return error(403, MESSAGES.otherApp);
      return call.op === 'query-key'
        ? { status: 200, body: { status: 'success', data: keyData(found.key) } }
        : SUCCESS;
    }
    case 'list-streams': {
      const data = [];
      for (const s of state.listStreams(appId, region, call.channel)) data.push(streamItem(s));
      return { status: 200, body: { status: 'success', data } };
    }
    case 'query-stream': {
      const s = state.getStream(appId, region, call.sid ?? '');
      if (s === undefined) return error(404, MESSAGES.notFound);
      const item = streamItem(s);
      return {
        status: 200,
        body: { status: 'success', data: sidQueryShape === 'array' ? [item] : item },
      };
    }
    case 'disconnect':
      return state.disconnect(appId, region, call.sid ?? '')
        ? SUCCESS
        : error(404, MESSAGES.notFound);
  }
}
