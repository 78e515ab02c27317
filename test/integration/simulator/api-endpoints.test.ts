import { describe, expect, it } from 'vitest';
import { api, apiPath, createKey, useSimulators } from './sim-http.js';

const start = useSimulators();

describe('simulator: streaming key endpoints', () => {
  it('creates, queries and deletes a key with Agora bodies', async () => {
    const { sim } = await start();
    const before = Math.floor(Date.now() / 1000);
    const created = await api(sim, 'POST', apiPath('na', 'app1', 'streamkeys'), {
      body: { settings: { channel: 'shx001', uid: '1001', expiresAfter: 600 } },
    });
    expect(created.status).toBe(200);
    expect(created.body.status).toBe('success');
    const data = created.body.data as Record<string, unknown>;
    expect(data).toMatchObject({ channel: 'shx001', uid: '1001', expiresAfter: 600 });
    expect(data.streamKey).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(Number(data.createdAt)).toBeGreaterThanOrEqual(before);
    expect(typeof data.createdAt).toBe('string');

    const key = String(data.streamKey);
    const queried = await api(sim, 'GET', apiPath('na', 'app1', `streamkeys/${key}`));
    expect(queried.status).toBe(200);
    expect(queried.body).toEqual({ status: 'success', data });

    const deleted = await api(sim, 'DELETE', apiPath('na', 'app1', `streamkeys/${key}`));
    expect(deleted).toMatchObject({ status: 200, body: { status: 'success' } });

    const gone = await api(sim, 'GET', apiPath('na', 'app1', `streamkeys/${key}`));
    expect(gone).toMatchObject({
      status: 404,
      body: { message: 'Resource not found and destroyed.' },
    });
    const again = await api(sim, 'DELETE', apiPath('na', 'app1', `streamkeys/${key}`));
    expect(again).toMatchObject({
      status: 404,
      body: { message: 'Resource not found and destroyed.' },
    });
  });

  it('a multi-region key (script-generated) is revoked region by region; each region keeps its own pushes', async () => {
    const { sim, admin } = await start();
    const { streamKey, regions } = await admin.createKey({ appId: 'app1', regions: ['na', 'eu'] });
    expect(regions).toEqual(['na', 'eu']);
    const naSid = await admin.startEncoder({ appId: 'app1', region: 'na', streamKey });
    const euSid = await admin.startEncoder({ appId: 'app1', region: 'eu', streamKey });
    expect((await api(sim, 'GET', apiPath('eu', 'app1', `streamkeys/${streamKey}`))).status).toBe(
      200,
    );
    expect((await api(sim, 'GET', apiPath('ap', 'app1', `streamkeys/${streamKey}`))).status).toBe(
      404,
    );

    const deleted = await api(sim, 'DELETE', apiPath('na', 'app1', `streamkeys/${streamKey}`));
    expect(deleted.status).toBe(200);
    // Still valid in eu: a new push there is accepted, one in na refused.
    expect((await api(sim, 'GET', apiPath('eu', 'app1', `streamkeys/${streamKey}`))).status).toBe(
      200,
    );
    await expect(
      admin.startEncoder({ appId: 'app1', region: 'na', streamKey }),
    ).rejects.toMatchObject({ status: 403 });
    const more = await admin.startEncoder({ appId: 'app1', region: 'eu', streamKey });
    const listed = await api(sim, 'GET', apiPath('eu', 'app1', 'online-streams'));
    expect((listed.body.data as { sid: string }[]).map((s) => s.sid).sort()).toEqual(
      [euSid, more].sort(),
    );
    expect((await admin.streams({ streamKey })).map((s) => s.sid).sort()).toEqual(
      [naSid, euSid, more].sort(),
    );
    const keys = await admin.keys({ appId: 'app1' });
    expect(keys.map((k) => [k.region, k.revoked])).toEqual([
      ['na', true],
      ['eu', false],
    ]);
    expect((await admin.stats()).keys).toBe(1);
  });

  it('accepts PUT for create, as the quickstart writes it', async () => {
    const { sim } = await start();
    const res = await api(sim, 'PUT', apiPath('eu', 'app1', 'streamkeys'), {
      body: { settings: { channel: 'c', uid: '7', expiresAfter: 0 } },
    });
    expect(res.status).toBe(200);
  });

  it('scopes keys per App ID (403) and per region (404)', async () => {
    const { sim } = await start();
    const { streamKey } = await createKey(sim, 'na', 'app1');
    const other = await api(sim, 'GET', apiPath('na', 'app2', `streamkeys/${streamKey}`));
    expect(other).toMatchObject({
      status: 403,
      body: { message: 'Stream does not belong to this app ID.' },
    });
    const otherDelete = await api(sim, 'DELETE', apiPath('na', 'app2', `streamkeys/${streamKey}`));
    expect(otherDelete.status).toBe(403);
    const otherRegion = await api(sim, 'GET', apiPath('eu', 'app1', `streamkeys/${streamKey}`));
    expect(otherRegion.status).toBe(404);
    const stillThere = await api(sim, 'GET', apiPath('na', 'app1', `streamkeys/${streamKey}`));
    expect(stillThere.status).toBe(200);
  });

  it.each([
    ['no settings', { channel: 'c' }, 'Invalid settings.'],
    ['missing uid', { settings: { channel: 'c', expiresAfter: 0 } }, 'Invalid settings.'],
    [
      'negative expiresAfter',
      { settings: { channel: 'c', uid: '1', expiresAfter: -1 } },
      'Invalid settings.',
    ],
    [
      'null expiresAfter',
      { settings: { channel: 'c', uid: '1', expiresAfter: null } },
      'Invalid settings.',
    ],
    [
      'channel and uid both empty',
      { settings: { channel: '', uid: '0', expiresAfter: 0 } },
      'Invalid settings.',
    ],
    [
      'channel too long',
      { settings: { channel: 'x'.repeat(64), uid: '1', expiresAfter: 0 } },
      "Invalid 'channel' format.",
    ],
    [
      'channel with slash',
      { settings: { channel: 'a/b', uid: '1', expiresAfter: 0 } },
      "Invalid 'channel' format.",
    ],
  ])('rejects a create body with %s (400)', async (_label, body, message) => {
    const { sim, admin } = await start();
    const res = await api(sim, 'POST', apiPath('na', 'app1', 'streamkeys'), { body });
    expect(res).toMatchObject({ status: 400, body: { message } });
    expect(await admin.keys()).toEqual([]);
  });

  it('rejects a body that is not JSON (400)', async () => {
    const { sim } = await start();
    const res = await api(sim, 'POST', apiPath('na', 'app1', 'streamkeys'), { body: '{nope' });
    expect(res).toMatchObject({ status: 400, body: { message: 'Invalid settings.' } });
  });

  it('picks a random channel or uid when one is empty', async () => {
    const { sim } = await start();
    const a = await createKey(sim, 'na', 'app1', { channel: '', uid: '42', expiresAfter: 0 });
    expect(a.channel).toMatch(/^GR-/);
    const b = await createKey(sim, 'na', 'app1', { channel: 'c', uid: '0', expiresAfter: 0 });
    expect(Number(b.uid)).toBeGreaterThan(0);
    const c = await createKey(sim, 'na', 'app1', { channel: 'c', uid: '0123', expiresAfter: 0 });
    expect(c.uid).toBe('123');
  });
});

describe('simulator: online stream endpoints', () => {
  it('lists live streams, filtered by channel, with the v1 item fields', async () => {
    const { sim, admin } = await start();
    const [s1, s2] = await admin.seed({ appId: 'app1', region: 'na', count: 2 });
    await admin.seed({ appId: 'app1', region: 'eu', count: 1 });
    await admin.seed({ appId: 'app2', region: 'na', count: 1 });
    const all = await api(sim, 'GET', apiPath('na', 'app1', 'online-streams'));
    expect(all.status).toBe(200);
    const items = all.body.data as Record<string, unknown>[];
    expect(items.map((i) => i.sid)).toEqual([s1?.sid, s2?.sid]);
    expect(items[0]).toMatchObject({
      sid: s1?.sid,
      channel: s1?.channel,
      uid: s1?.uid,
      url: `rtls-ingress-prod-na.agoramdn.com/live/${s1?.streamKey}`,
      status: 'Running',
      video: { width: 1920, height: 1080, fps: 30 },
      audio: { channels: 2, sampleRate: 48000 },
    });
    expect(items[0]?.beginAt).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3}$/);
    expect(typeof items[0]?.bitrate).toBe('number');

    const one = await api(
      sim,
      'GET',
      apiPath('na', 'app1', `online-streams?channel=${encodeURIComponent(s2?.channel ?? '')}`),
    );
    expect((one.body.data as { sid: string }[]).map((i) => i.sid)).toEqual([s2?.sid]);
    const none = await api(sim, 'GET', apiPath('na', 'app1', 'online-streams?channel=nobody'));
    expect(none.body).toEqual({ status: 'success', data: [] });
  });

  it('finds channels with special characters through the encoded query', async () => {
    const { sim, admin } = await start();
    const [s] = await admin.seed({ appId: 'app1', region: 'ap', count: 1, channel: 'a b+c&d' });
    const res = await api(
      sim,
      'GET',
      apiPath('ap', 'app1', `online-streams?channel=${encodeURIComponent('a b+c&d')}`),
    );
    expect((res.body.data as { sid: string }[]).map((i) => i.sid)).toEqual([s?.sid]);
  });

  it('answers a SID query as an array by default', async () => {
    const { sim, admin } = await start();
    const [s] = await admin.seed({ appId: 'app1', region: 'na', count: 1 });
    const res = await api(sim, 'GET', apiPath('na', 'app1', `online-streams/${s?.sid}`));
    expect(res.status).toBe(200);
    expect(Array.isArray(res.body.data)).toBe(true);
    expect((res.body.data as { sid: string }[])[0]?.sid).toBe(s?.sid);
  });

  it('answers a SID query as an object with sidQueryShape object', async () => {
    const { sim, admin } = await start({ sidQueryShape: 'object' });
    const [s] = await admin.seed({ appId: 'app1', region: 'na', count: 1 });
    const res = await api(sim, 'GET', apiPath('na', 'app1', `online-streams/${s?.sid}`));
    expect(res.body.data).toMatchObject({ sid: s?.sid, status: 'Running' });
    await admin.setConfig({ sidQueryShape: 'array' });
    const again = await api(sim, 'GET', apiPath('na', 'app1', `online-streams/${s?.sid}`));
    expect(Array.isArray(again.body.data)).toBe(true);
  });

  it('answers 404 for unknown SIDs and SIDs of another app or region', async () => {
    const { sim, admin } = await start();
    const [s] = await admin.seed({ appId: 'app1', region: 'na', count: 1 });
    for (const path of [
      apiPath('na', 'app1', 'online-streams/00000000-0000-0000-0000-000000000000'),
      apiPath('na', 'app2', `online-streams/${s?.sid}`),
      apiPath('eu', 'app1', `online-streams/${s?.sid}`),
    ]) {
      expect(await api(sim, 'GET', path)).toMatchObject({
        status: 404,
        body: { message: 'Resource not found.' },
      });
      expect((await api(sim, 'DELETE', path)).status).toBe(404);
    }
    expect(await admin.streams()).toHaveLength(1);
  });

  it('force-disconnects a SID: 200, then the SID is gone', async () => {
    const { sim, admin } = await start();
    const [s] = await admin.seed({ appId: 'app1', region: 'na', count: 1, reconnect: false });
    const res = await api(sim, 'DELETE', apiPath('na', 'app1', `online-streams/${s?.sid}`));
    expect(res).toMatchObject({ status: 200, body: { status: 'success' } });
    expect((await api(sim, 'GET', apiPath('na', 'app1', `online-streams/${s?.sid}`))).status).toBe(
      404,
    );
    expect(await admin.streams()).toEqual([]);
  });

  it('answers 400 SID is missing for a disconnect without a SID', async () => {
    const { sim } = await start();
    const res = await api(sim, 'DELETE', apiPath('na', 'app1', 'online-streams'));
    expect(res).toMatchObject({ status: 400, body: { message: 'SID is missing.' } });
  });
});

describe('simulator: routing', () => {
  it.each([
    ['GET', '/'],
    ['GET', '/na/v1/projects/app1/rtls/ingress/templates'],
    ['PATCH', apiPath('na', 'app1', 'streamkeys/abc')],
    ['GET', apiPath('na', 'app1', 'streamkeys')],
    ['POST', apiPath('na', 'app1', 'online-streams')],
    ['GET', '/na/v2/projects/app1/rtls/ingress/online-streams'],
  ])('answers 404 for %s %s', async (method, path) => {
    const { sim } = await start();
    const res = await api(sim, method, path);
    expect(res).toMatchObject({ status: 404, body: { message: 'Resource not found.' } });
    expect(res.requestId).not.toBeNull();
  });

  it('answers 400 Invalid region. for an unknown or upper-case region', async () => {
    const { sim } = await start();
    for (const region of ['xx', 'NA']) {
      const res = await api(sim, 'DELETE', apiPath(region, 'app1', 'streamkeys/abc'));
      expect(res).toMatchObject({ status: 400, body: { message: 'Invalid region.' } });
    }
  });
});
