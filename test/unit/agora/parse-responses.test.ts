import { describe, expect, it } from 'vitest';
import { AgoraResponseError } from '../../../src/agora/errors.js';
import {
  parseAck,
  parseOnlineStreamBySid,
  parseOnlineStreamList,
  parseStreamKeyInfo,
} from '../../../src/agora/parse-responses.js';

const ctx = { op: 'query-key', status: 200, requestId: 'rid' } as const;
const stream = {
  sid: 'eba0c189-15ab-b852-b51d-670500000ce',
  channel: 'shx1013001',
  uid: '123',
  url: 'shxtest1-rtcpush-test-cn.agoramdn.com/live/pIdY42WEm5fblM-Q8M1vMMXQ',
  status: 'Running',
  beginAt: '2023-10-16 11:36:12.293',
  bitrate: 4147,
};

describe('parseStreamKeyInfo', () => {
  it('reads the documented body', () => {
    const body = JSON.stringify({
      status: 'success',
      data: {
        streamKey: 'k',
        channel: 'shx001',
        uid: '1001',
        expiresAfter: 0,
        createdAt: '1686820170',
      },
    });
    expect(parseStreamKeyInfo(ctx, body)).toEqual({
      streamKey: 'k',
      channel: 'shx001',
      uid: '1001',
      expiresAfter: 0,
      createdAt: '1686820170',
    });
  });

  it('accepts lossless coercions (numeric uid/createdAt, numeric-string expiresAfter)', () => {
    const body = JSON.stringify({
      data: { streamKey: 'k', channel: 'c', uid: 1001, expiresAfter: '60', createdAt: 1686820170 },
    });
    expect(parseStreamKeyInfo(ctx, body)).toMatchObject({
      uid: '1001',
      expiresAfter: 60,
      createdAt: '1686820170',
    });
  });

  it.each([
    ['empty body', ''],
    ['not JSON', '<html>'],
    ['array', '[]'],
    ['status error', '{"status":"error","data":{}}'],
    ['no data', '{"status":"success"}'],
    ['missing streamKey', '{"data":{"channel":"c","uid":"1","expiresAfter":0}}'],
    ['empty streamKey', '{"data":{"streamKey":"","channel":"c","uid":"1","expiresAfter":0}}'],
    ['object channel', '{"data":{"streamKey":"k","channel":{},"uid":"1","expiresAfter":0}}'],
    [
      'negative expiresAfter',
      '{"data":{"streamKey":"k","channel":"c","uid":"1","expiresAfter":-1}}',
    ],
  ])('rejects %s with a non-retryable AgoraResponseError', (_label, body) => {
    let caught: unknown;
    try {
      parseStreamKeyInfo(ctx, body);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(AgoraResponseError);
    expect(caught).toMatchObject({
      retryable: false,
      requestId: 'rid',
      status: 200,
      op: 'query-key',
    });
  });
});

describe('online streams', () => {
  it('reads a list and derives each stream key from its url', () => {
    const [first] = parseOnlineStreamList(
      ctx,
      JSON.stringify({ status: 'success', data: [stream] }),
    );
    expect(first).toEqual({
      sid: stream.sid,
      channel: stream.channel,
      uid: '123',
      url: stream.url,
      streamKey: 'pIdY42WEm5fblM-Q8M1vMMXQ',
      status: 'Running',
      beginAt: stream.beginAt,
    });
  });

  it('treats a missing or null data as an empty list, but rejects an object', () => {
    expect(parseOnlineStreamList(ctx, '{"status":"success"}')).toEqual([]);
    expect(parseOnlineStreamList(ctx, '{"status":"success","data":null}')).toEqual([]);
    expect(() => parseOnlineStreamList(ctx, '{"data":{}}')).toThrow(AgoraResponseError);
    expect(() => parseOnlineStreamList(ctx, '{"data":[{"url":"x"}]}')).toThrow(/data\[0\]\.sid/);
  });

  it('accepts query-by-SID data as an array or an object', () => {
    const asArray = parseOnlineStreamBySid(ctx, JSON.stringify({ data: [stream] }), stream.sid);
    const asObject = parseOnlineStreamBySid(ctx, JSON.stringify({ data: stream }), stream.sid);
    expect(asArray).toEqual(asObject);
    expect(asObject?.streamKey).toBe('pIdY42WEm5fblM-Q8M1vMMXQ');
    expect(parseOnlineStreamBySid(ctx, '{"data":[]}', stream.sid)).toBeUndefined();
    expect(() => parseOnlineStreamBySid(ctx, JSON.stringify({ data: stream }), 'other')).toThrow(
      AgoraResponseError,
    );
  });

  it('accepts an empty or enveloped acknowledgement', () => {
    expect(() => parseAck(ctx, '')).not.toThrow();
    expect(() => parseAck(ctx, '{"status":"success"}')).not.toThrow();
    expect(() => parseAck(ctx, 'nope')).toThrow(AgoraResponseError);
    expect(() => parseAck(ctx, '{"status":"fail"}')).toThrow(AgoraResponseError);
  });
});
