import { randomBytes } from 'node:crypto';
import {
  describeAllowed,
  isValidAppId,
  isValidChannel,
  isValidRegion,
  isValidStreamKey,
  isValidUid,
  previewValue,
} from '../agora/paths.js';
import type { Region } from '../agora/types.js';
import { FORBIDDEN_TEXT_RE, REASON_MAX_CHARS } from '../jobs/index.js';
import type { FieldError } from '../jobs/index.js';

/**
 * A standing enforcement decision: "nothing may stream to this channel", "this user may not
 * stream for 24 h", "this key stays dead". Matched against every `live_stream_connected` event
 * until it expires (or forever), and swept against what is live when it is added.
 *
 * Targets: a channel, a uid, a channel and uid together, or a stream key (alone).
 */
export interface EnforcementRule {
  /** `r-<UTC yyyymmddThhmmssZ>-<8 hex>`. */
  id: string;
  appId: string;
  /** Only streams pushed to this region; absent = every region. */
  region?: Region;
  channel?: string;
  uid?: string;
  /** Stored only in Redis; printed masked or as a fingerprint. */
  streamKey?: string;
  reason: string;
  /** ISO 8601. */
  createdAt: string;
  /** ISO 8601; null = forever. */
  expiresAt: string | null;
}

/** What a caller sends (CLI flags, POST /v1/rules). Exactly one of durationS, until, forever. */
export interface RuleRequest {
  appId?: string;
  region?: string;
  channel?: string;
  uid?: string;
  streamKey?: string;
  /** Seconds from now. */
  durationS?: number;
  /** ISO 8601 with a zone, in the future. */
  until?: string;
  forever?: boolean;
  reason?: string;
}

export const RULE_REQUEST_FIELDS = [
  'appId',
  'region',
  'channel',
  'uid',
  'streamKey',
  'durationS',
  'until',
  'forever',
  'reason',
] as const;

/** A decade, like scheduled expiries. */
export const MAX_RULE_DURATION_S = 3650 * 86_400;
export const RULE_ID_RE = /^r-[A-Za-z0-9._-]{1,62}$/;
const ISO_INSTANT_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

export type RuleParseResult =
  { ok: true; value: EnforcementRule } | { ok: false; errors: FieldError[] };

function typeName(value: unknown): string {
  if (value === null) return 'null';
  return Array.isArray(value) ? 'array' : typeof value;
}

export function newRuleId(now: Date = new Date()): string {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return `r-${stamp}-${randomBytes(4).toString('hex')}`;
}

export function isRuleId(value: unknown): value is string {
  return typeof value === 'string' && RULE_ID_RE.test(value);
}

/**
 * Validates a rule request into a rule (id, createdAt and expiresAt filled in). Every problem is
 * reported with the field it is about and what is allowed.
 */
export function parseRuleRequest(
  input: unknown,
  options: { defaultAppId?: string | undefined; now?: Date } = {},
): RuleParseResult {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    return {
      ok: false,
      errors: [
        {
          field: '(body)',
          message: `a rule must be a JSON object such as {"channel":"c1","durationS":86400,"reason":"..."}; got ${typeName(input)}`,
        },
      ],
    };
  }
  const src = input as Record<string, unknown>;
  const errors: FieldError[] = [];
  const add = (field: string, message: string): void => void errors.push({ field, message });
  const get = (field: string): unknown => (Object.hasOwn(src, field) ? src[field] : undefined);

  for (const key of Object.keys(src).slice(0, 10)) {
    if (!(RULE_REQUEST_FIELDS as readonly string[]).includes(key)) {
      const shown = /^[A-Za-z0-9_$.-]{1,40}$/.test(key) ? key : JSON.stringify(key.slice(0, 40));
      add(shown, `unknown field ${shown}; allowed fields: ${RULE_REQUEST_FIELDS.join(', ')}`);
    }
  }

  const ident = (
    field: string,
    allowed: string,
    valid: (v: unknown) => boolean,
  ): string | undefined => {
    const v = get(field);
    if (v === undefined) return undefined;
    if (typeof v !== 'string' || !valid(v)) {
      add(field, `${field} must be ${allowed}; got ${previewValue(v)}`);
      return undefined;
    }
    return v;
  };

  let appId = ident('appId', describeAllowed.appId, isValidAppId);
  if (get('appId') === undefined) {
    if (options.defaultAppId === undefined || options.defaultAppId === '') {
      add('appId', `appId is required (no AGORA_APP_ID is configured): ${describeAllowed.appId}`);
    } else appId = options.defaultAppId;
  }
  const region = ident('region', describeAllowed.region, isValidRegion) as Region | undefined;
  const channel = ident('channel', describeAllowed.channel, isValidChannel);
  const uidAllowed = `a user id: ${describeAllowed.uid.replace("'' or '0' (random), or ", '')}, not '' or '0'`;
  const uid = ident('uid', uidAllowed, (v) => isValidUid(v) && v !== '' && v !== '0');
  const streamKey = ident('streamKey', describeAllowed.streamKey, isValidStreamKey);

  const hasTarget = ['channel', 'uid', 'streamKey'].some((f) => get(f) !== undefined);
  if (!hasTarget) {
    add('channel', 'a rule needs a target: channel, uid, channel and uid, or streamKey');
  } else if (
    get('streamKey') !== undefined &&
    (get('channel') !== undefined || get('uid') !== undefined)
  ) {
    add('streamKey', 'a key rule names only the key: give streamKey without channel or uid');
  }

  const reasonRaw = get('reason');
  let reason: string | undefined;
  if (reasonRaw === undefined || reasonRaw === '') {
    add(
      'reason',
      `reason is required: why streams are taken down (at most ${REASON_MAX_CHARS} characters)`,
    );
  } else if (typeof reasonRaw !== 'string') {
    add('reason', `reason must be a string; got ${typeName(reasonRaw)}`);
  } else if ([...reasonRaw].length > REASON_MAX_CHARS) {
    add('reason', `reason is longer than ${REASON_MAX_CHARS} characters`);
  } else if (FORBIDDEN_TEXT_RE.test(reasonRaw)) {
    add('reason', 'reason contains a control or invisible formatting character; plain text only');
  } else reason = reasonRaw;

  const now = options.now ?? new Date();
  const durationS = get('durationS');
  const until = get('until');
  const forever = get('forever');
  const given = [durationS, until, forever].filter((v) => v !== undefined).length;
  let expiresAt: string | null | undefined;
  if (given !== 1) {
    add(
      'durationS',
      given === 0
        ? 'say how long the rule holds: durationS (seconds), until (ISO 8601) or forever: true'
        : 'give only one of durationS, until and forever',
    );
  } else if (durationS !== undefined) {
    if (
      typeof durationS !== 'number' ||
      !Number.isSafeInteger(durationS) ||
      durationS < 1 ||
      durationS > MAX_RULE_DURATION_S
    ) {
      add(
        'durationS',
        `durationS must be a whole number of seconds 1..${MAX_RULE_DURATION_S}; got ${typeof durationS === 'number' ? durationS : typeName(durationS)}`,
      );
    } else expiresAt = new Date(now.getTime() + durationS * 1000).toISOString();
  } else if (until !== undefined) {
    const ms = typeof until === 'string' && ISO_INSTANT_RE.test(until) ? Date.parse(until) : NaN;
    if (Number.isNaN(ms)) {
      add(
        'until',
        `until must be an ISO 8601 time with a zone, e.g. 2026-05-01T18:00:00Z; got ${previewValue(until)}`,
      );
    } else if (ms <= now.getTime()) {
      add('until', `until must be in the future; got ${new Date(ms).toISOString()}`);
    } else if (ms - now.getTime() > MAX_RULE_DURATION_S * 1000) {
      add('until', 'until must be at most 3650 days ahead');
    } else expiresAt = new Date(ms).toISOString();
  } else if (forever !== true) {
    add('forever', `forever must be true; got ${previewValue(forever)}`);
  } else expiresAt = null;

  if (errors.length > 0 || appId === undefined || reason === undefined || expiresAt === undefined) {
    return { ok: false, errors };
  }
  const rule: EnforcementRule = {
    id: newRuleId(now),
    appId,
    reason,
    createdAt: now.toISOString(),
    expiresAt,
  };
  if (region !== undefined) rule.region = region;
  if (channel !== undefined) rule.channel = channel;
  if (uid !== undefined) rule.uid = uid;
  if (streamKey !== undefined) rule.streamKey = streamKey;
  return { ok: true, value: rule };
}

/** Whether the rule still holds at `nowMs`. */
export function isRuleActive(rule: EnforcementRule, nowMs: number): boolean {
  return rule.expiresAt === null || Date.parse(rule.expiresAt) > nowMs;
}

/** Which target the rule has, in words users typed. */
export function ruleTarget(rule: EnforcementRule): 'channel' | 'uid' | 'channel+uid' | 'key' {
  if (rule.streamKey !== undefined) return 'key';
  if (rule.channel !== undefined && rule.uid !== undefined) return 'channel+uid';
  return rule.channel !== undefined ? 'channel' : 'uid';
}
