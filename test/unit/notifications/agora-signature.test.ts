import { describe, expect, it } from 'vitest';
import { signAgoraNotification, verifyAgoraSignature } from '../../../src/notifications/index.js';

// Agora's published test vector (reference §8).
const SECRET = 'secret';
const BODY =
  '{"eventType":10,"noticeId":"4eb720f0-8da7-11e9-a43e-53f411c2761f","notifyMs":1560408533119,"payload":{"a":"1","b":2},"productId":1}';
const V1 = '5a3bb6a6d9fad2ea9ae3fb707a14c9d7f3136df1';
const V2 = 'de96da5acf03b0021ac3b4fa2225e7ae6f3533a30d50bb02c08ea4fa748bda24';

describe('Agora notification signatures', () => {
  it("signs Agora's test vector to the published values", () => {
    expect(signAgoraNotification(BODY, SECRET)).toEqual({ v1: V1, v2: V2 });
  });

  it('accepts the test vector by V2, and by V1 when V2 is absent', () => {
    const raw = Buffer.from(BODY);
    expect(verifyAgoraSignature(raw, { v2: V2 }, SECRET)).toBe(true);
    expect(verifyAgoraSignature(raw, { v1: V1 }, SECRET)).toBe(true);
    expect(verifyAgoraSignature(raw, { v2: V2.toUpperCase() }, SECRET)).toBe(true);
  });

  it('refuses a missing, forged, truncated or non-hex signature, and another secret', () => {
    const raw = Buffer.from(BODY);
    expect(verifyAgoraSignature(raw, {}, SECRET)).toBe(false);
    expect(verifyAgoraSignature(raw, { v2: `${V2.slice(0, -1)}0` }, SECRET)).toBe(false);
    expect(verifyAgoraSignature(raw, { v2: V2.slice(0, 40) }, SECRET)).toBe(false);
    expect(verifyAgoraSignature(raw, { v2: 'z'.repeat(64) }, SECRET)).toBe(false);
    expect(verifyAgoraSignature(raw, { v2: '' }, SECRET)).toBe(false);
    expect(verifyAgoraSignature(raw, { v2: V2 }, 'other-secret')).toBe(false);
  });

  it('checks V2 when both are sent: a right V1 does not rescue a wrong V2', () => {
    const raw = Buffer.from(BODY);
    expect(verifyAgoraSignature(raw, { v2: 'f'.repeat(64), v1: V1 }, SECRET)).toBe(false);
  });

  it('verifies the raw bytes: the same JSON re-serialized does not pass', () => {
    const reserialized = Buffer.from(JSON.stringify(JSON.parse(BODY), null, 1));
    expect(verifyAgoraSignature(reserialized, { v2: V2 }, SECRET)).toBe(false);
  });
});
