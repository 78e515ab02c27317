import { describe, expect, it } from 'vitest';
import { parseAgoraNotification } from '../../../src/notifications/index.js';

const APP = 'a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5';
const ctx = { appId: APP, receivedAt: 1_700_000_000_000 };

function event(overrides: Record<string, unknown> = {}, payload: Record<string, unknown> = {}) {
  return {
    noticeId: '4eb720f0-8da7-11e9-a43e-53f411c2761f',
    productId: 10,
    eventType: 1,
    notifyMs: 1_700_000_000_000,
    payload: {
      sid: 'B2A5C1D2E3F4',
      region: 'na',
      domain: 'rtls-ingress-prod-na.agoramdn.com',
      streamKey: '7B***Qbs',
      rtcInfo: { channel: 'lobby', uid: 4242 },
      beginAt: '2023-11-21T02:27:31Z',
      ...payload,
    },
    ...overrides,
  };
}

function fields(body: unknown): string[] {
  const r = parseAgoraNotification(body, ctx);
  if (r.ok) throw new Error(`expected a rejection, got ${JSON.stringify(r.value)}`);
  return r.errors.map((e) => e.field);
}

describe('parseAgoraNotification', () => {
  it('reads a connected event: sid, region, channel, numeric uid as text, masked key kept apart', () => {
    const r = parseAgoraNotification(event(), ctx);
    expect(r.ok).toBe(true);
    if (!r.ok || r.value.kind !== 'stream-event') return;
    expect(r.value.event).toMatchObject({
      event: 'live_stream_connected',
      appId: APP,
      sid: 'B2A5C1D2E3F4',
      region: 'na',
      channel: 'lobby',
      uid: '4242',
      maskedKey: '7B***Qbs',
      receivedAt: ctx.receivedAt,
    });
    expect(r.value.event.streamKey).toBeUndefined();
  });

  it('keeps an unmasked key as the key', () => {
    const r = parseAgoraNotification(event({}, { streamKey: 'sk_live_0123456789' }), ctx);
    expect(r.ok && r.value.kind === 'stream-event' && r.value.event.streamKey).toBe(
      'sk_live_0123456789',
    );
  });

  it('ignores other products and unknown event types (counted, not acted on)', () => {
    const other = parseAgoraNotification(event({ productId: 1 }), ctx);
    expect(other).toMatchObject({ ok: true, value: { kind: 'ignored', label: 'other-product' } });
    const unknown = parseAgoraNotification(event({ eventType: 99 }), ctx);
    expect(unknown).toMatchObject({ ok: true, value: { kind: 'ignored', label: 'unknown' } });
  });

  it('names every hostile field', () => {
    expect(fields(null)).toEqual(['(body)']);
    expect(fields([])).toEqual(['(body)']);
    expect(fields(event({ noticeId: 'a:b' }))).toEqual(['noticeId']);
    expect(fields(event({ noticeId: 'x'.repeat(200) }))).toEqual(['noticeId']);
    expect(fields(event({ noticeId: 7 }))).toEqual(['noticeId']);
    expect(fields(event({ productId: '10' }))).toEqual(['productId']);
    expect(fields(event({ eventType: 1.5 }))).toEqual(['eventType']);
    expect(fields(event({ notifyMs: -1 }))).toEqual(['notifyMs']);
    expect(fields(event({ payload: 'x' }))).toEqual(['payload']);
    expect(fields(event({}, { sid: '../admin' }))).toEqual(['payload.sid']);
    expect(fields(event({}, { sid: undefined }))).toEqual(['payload.sid']);
    expect(fields(event({}, { region: 'us-east' }))).toEqual(['payload.region']);
    expect(fields(event({}, { streamKey: 'key/../../x' }))).toEqual(['payload.streamKey']);
    expect(fields(event({}, { streamKey: { a: 1 } }))).toEqual(['payload.streamKey']);
    expect(fields(event({}, { rtcInfo: [] }))).toEqual(['payload.rtcInfo']);
    expect(fields(event({}, { rtcInfo: { channel: 'a\nb', uid: 1 } }))).toEqual([
      'payload.rtcInfo.channel',
    ]);
    expect(fields(event({}, { rtcInfo: { channel: 'c', uid: -3 } }))).toEqual([
      'payload.rtcInfo.uid',
    ]);
    expect(fields(event({}, { beginAt: 'yesterday' }))).toEqual(['payload.beginAt']);
    expect(fields(event({ eventType: 3 }, { errorCode: 'two' }))).toEqual(['payload.errorCode']);
    expect(fields(event({}, { appId: 'not/an/app' }))).toEqual(['appId']);
  });

  it('needs an App ID from the URL, the payload or the configuration', () => {
    const r = parseAgoraNotification(event(), { appId: undefined, receivedAt: 1 });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors[0]?.message).toContain('?appId=');
  });

  it('does not take fields from the prototype', () => {
    const body = JSON.parse(
      '{"__proto__":{"noticeId":"x"},"productId":10,"eventType":1,"notifyMs":1}',
    ) as unknown;
    expect(fields(body)).toEqual(['noticeId']);
  });
});
