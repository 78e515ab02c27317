import { REGIONS } from '../agora/types.js';
import type { AgoraOp, Region } from '../agora/types.js';

/** What the simulator makes of an API request line, before auth and state. */
export interface ParsedApiRequest {
  op: AgoraOp | 'unknown';
  /** The region segment as sent ('' when the path has none). */
  region: string;
  appId: string;
  streamKey?: string;
  sid?: string;
  /** `channel` query filter of list-streams. */
  channel?: string;
  /** Set when the request cannot be served: the answer to give instead. */
  reject?: { status: number; message: string };
}

const REGION_SET: ReadonlySet<string> = new Set(REGIONS);

export function isRegion(value: string): value is Region {
  return REGION_SET.has(value);
}

export const NOT_FOUND_MESSAGE = 'Resource not found.';

function decodeSegment(raw: string): string | undefined {
  if (!raw.includes('%')) return raw;
  try {
    return decodeURIComponent(raw);
  } catch {
    return undefined;
  }
}

function unknownRoute(region = '', appId = ''): ParsedApiRequest {
  return { op: 'unknown', region, appId, reject: { status: 404, message: NOT_FOUND_MESSAGE } };
}

/**
 * Maps `METHOD /{region}/v1/projects/{appId}/rtls/ingress/{resource}[/{id}][?query]` to an op.
 * Unknown paths and methods → 404. An unknown region → 400 `Invalid region.` (not 404: the
 * client treats 404 on a delete as "already gone", so a typo'd region must not look like success).
 */
export function parseApiRequest(method: string, url: string): ParsedApiRequest {
  const q = url.indexOf('?');
  const path = q === -1 ? url : url.slice(0, q);
  const seg = path.split('/');
  // ['', region, 'v1', 'projects', appId, 'rtls', 'ingress', resource, id?]
  if (
    (seg.length !== 8 && seg.length !== 9) ||
    seg[0] !== '' ||
    seg[2] !== 'v1' ||
    seg[3] !== 'projects' ||
    seg[5] !== 'rtls' ||
    seg[6] !== 'ingress'
  ) {
    return unknownRoute();
  }
  const region = seg[1] ?? '';
  const appId = decodeSegment(seg[4] ?? '');
  const resource = seg[7];
  const rawId = seg[8];
  if (appId === undefined) return unknownRoute(region);

  let parsed: ParsedApiRequest;
  if (resource === 'streamkeys') {
    if (rawId === undefined) {
      if (method !== 'POST' && method !== 'PUT') return unknownRoute(region, appId);
      parsed = { op: 'create-key', region, appId };
    } else {
      const op: AgoraOp | undefined =
        method === 'GET' ? 'query-key' : method === 'DELETE' ? 'delete-key' : undefined;
      const streamKey = decodeSegment(rawId);
      if (op === undefined || streamKey === undefined || streamKey === '') {
        return unknownRoute(region, appId);
      }
      parsed = { op, region, appId, streamKey };
    }
  } else if (resource === 'online-streams') {
    if (rawId === undefined && method === 'GET') {
      parsed = { op: 'list-streams', region, appId };
      if (q !== -1) {
        const channel = new URLSearchParams(url.slice(q + 1)).get('channel');
        if (channel !== null) parsed.channel = channel;
      }
    } else {
      const op: AgoraOp | undefined =
        method === 'GET' ? 'query-stream' : method === 'DELETE' ? 'disconnect' : undefined;
      if (op === undefined) return unknownRoute(region, appId);
      const sid = rawId === undefined ? '' : decodeSegment(rawId);
      if (sid === undefined) return unknownRoute(region, appId);
      parsed = { op, region, appId, sid };
      if (sid === '') parsed.reject = { status: 400, message: 'SID is missing.' };
    }
  } else {
    return unknownRoute(region, appId);
  }

  if (parsed.reject === undefined) {
    if (!isRegion(region)) parsed.reject = { status: 400, message: 'Invalid region.' };
    else if (appId === '') parsed.reject = { status: 400, message: 'Invalid app ID.' };
  }
  return parsed;
}
