import { describe, expect, it } from 'vitest';
import { parseApiRequest } from '../../../src/simulator/parse-api-request.js';

const P = '/na/v1/projects/app1/rtls/ingress';

describe('parseApiRequest', () => {
  it.each([
    ['POST', `${P}/streamkeys`, { op: 'create-key' }],
    ['PUT', `${P}/streamkeys`, { op: 'create-key' }],
    ['GET', `${P}/streamkeys/k1`, { op: 'query-key', streamKey: 'k1' }],
    ['DELETE', `${P}/streamkeys/k1`, { op: 'delete-key', streamKey: 'k1' }],
    ['GET', `${P}/online-streams`, { op: 'list-streams' }],
    ['GET', `${P}/online-streams/s1`, { op: 'query-stream', sid: 's1' }],
    ['DELETE', `${P}/online-streams/s1`, { op: 'disconnect', sid: 's1' }],
  ])('maps %s %s', (method, url, expected) => {
    const parsed = parseApiRequest(method, url);
    expect(parsed).toEqual({ region: 'na', appId: 'app1', ...expected });
  });

  it('reads the channel filter, decoded', () => {
    expect(parseApiRequest('GET', `${P}/online-streams?channel=a%20b%2Bc%26d`)).toMatchObject({
      op: 'list-streams',
      channel: 'a b+c&d',
    });
    expect(parseApiRequest('GET', `${P}/online-streams?x=1`).channel).toBeUndefined();
    expect(parseApiRequest('GET', `${P}/online-streams?channel=`).channel).toBe('');
  });

  it('decodes percent-encoded path segments', () => {
    expect(
      parseApiRequest('GET', '/na/v1/projects/a%20b/rtls/ingress/streamkeys/k%2F1'),
    ).toMatchObject({
      appId: 'a b',
      streamKey: 'k/1',
    });
  });

  it.each([
    ['GET', '/'],
    ['GET', '/na/v1/projects/app1/rtls/ingress'],
    ['GET', `${P}/streamkeys`],
    ['PATCH', `${P}/streamkeys/k1`],
    ['PUT', `${P}/streamkeys/k1`],
    ['POST', `${P}/online-streams`],
    ['POST', `${P}/online-streams/s1`],
    ['GET', `${P}/stream-templates/t1`],
    ['GET', `${P}/streamkeys/k1/extra`],
    ['GET', `${P}/streamkeys/`],
    ['GET', '/na/v2/projects/app1/rtls/ingress/online-streams'],
    ['GET', 'na/v1/projects/app1/rtls/ingress/online-streams'],
    ['GET', '/na/v1/projects/app1/rtls/ingress/streamkeys/%E0%A4%A'],
  ])('answers 404 for %s %s', (method, url) => {
    expect(parseApiRequest(method, url)).toMatchObject({
      op: 'unknown',
      reject: { status: 404, message: 'Resource not found.' },
    });
  });

  it('answers 400 for an unknown or upper-case region but still names the op', () => {
    for (const region of ['xx', 'NA', '']) {
      expect(
        parseApiRequest('DELETE', `/${region}/v1/projects/app1/rtls/ingress/streamkeys/k`),
      ).toMatchObject({
        op: 'delete-key',
        region,
        reject: { status: 400, message: 'Invalid region.' },
      });
    }
  });

  it('answers 400 for a missing SID and an empty App ID', () => {
    expect(parseApiRequest('DELETE', `${P}/online-streams`)).toMatchObject({
      op: 'disconnect',
      reject: { status: 400, message: 'SID is missing.' },
    });
    expect(parseApiRequest('GET', `${P}/online-streams/`)).toMatchObject({
      op: 'query-stream',
      reject: { status: 400, message: 'SID is missing.' },
    });
    expect(parseApiRequest('GET', '/na/v1/projects//rtls/ingress/online-streams')).toMatchObject({
      op: 'list-streams',
      reject: { status: 400, message: 'Invalid app ID.' },
    });
  });
});
