import { randomUUID } from 'node:crypto';
import { signAgoraNotification } from '../../src/notifications/index.js';

/** POSTs `body` to the notifications intake signed like Agora (both headers); raw text answer. */
export async function postSigned(
  url: string,
  body: unknown,
  secret: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; json: unknown }> {
  const raw = typeof body === 'string' ? body : JSON.stringify(body);
  const sig = signAgoraNotification(raw, secret);
  const res = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'agora-signature': sig.v1,
      'agora-signature-v2': sig.v2,
      ...headers,
    },
    body: raw,
  });
  const text = await res.text();
  return { status: res.status, json: text === '' ? undefined : (JSON.parse(text) as unknown) };
}

/** A Media Gateway event body as Agora sends it (reference §8). */
export function mediaGatewayEvent(
  eventType: number,
  payload: {
    sid: string;
    region?: string;
    streamKey?: string;
    channel?: string;
    uid?: string | number;
    errorCode?: number;
  },
  noticeId: string = randomUUID(),
): Record<string, unknown> {
  const { channel, uid, ...rest } = payload;
  return {
    noticeId,
    productId: 10,
    eventType,
    notifyMs: Date.now(),
    sid: payload.sid,
    payload: {
      region: 'na',
      ...rest,
      rtcInfo: { channel: channel ?? 'ch', uid: uid ?? 1 },
      beginAt: '2026-01-01T00:00:00Z',
    },
  };
}
