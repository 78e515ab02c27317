import {
  describeAllowed,
  isValidAppId,
  isValidChannel,
  isValidRegion,
  isValidSid,
  isValidStreamKey,
  previewSecret,
  previewValue,
} from '../agora/paths.js';
import type { Region } from '../agora/types.js';
import { checkCallbackUrl } from './callback-url.js';
import type { AllowedHost } from './callback-url.js';
import { InvalidPayloadError } from './errors.js';
import type { FieldError } from './errors.js';
import {
  AUTOMATED_DECISIONS,
  CATEGORY_RE,
  DECISION_GROUNDS,
  FACTS_MAX_CHARS,
  LEGAL_GROUND_MAX_CHARS,
  MODERATION_FIELDS,
  MODERATION_REQUIRED,
  SOURCE_TYPES,
  TERRITORIES,
} from './moderation.js';
import type {
  AutomatedDecision,
  DecisionGround,
  ModerationFields,
  SourceType,
} from './moderation.js';

/**
 * The takedown request (what producers accept) and the payload (what a job stores), version 1.
 * Validated on both edges: `parseTakedownRequest` when enqueuing (defaults applied, friendly to
 * CSV/JSONL input), `assertTakedownPayload` when a worker picks the job up (strict: it must be
 * exactly what a producer wrote). Every message names the field and says what is allowed.
 * Identifier rules (region, appId, sid, streamKey, channel) are the Agora client's own, so a
 * payload that passes here also builds a valid request path.
 */

export const PAYLOAD_VERSION = 1;

export const PRIORITY_VALUES = ['urgent', 'normal', 'bulk'] as const;
export type TakedownPriority = (typeof PRIORITY_VALUES)[number];
export const DEFAULT_PRIORITY: TakedownPriority = 'normal';

/** BullMQ priorities: lower runs sooner (1 is the highest); an urgent takedown overtakes bulk. */
export const BULL_PRIORITY: Readonly<Record<TakedownPriority, number>> = {
  urgent: 1,
  normal: 5,
  bulk: 10,
};

export function toBullPriority(priority: TakedownPriority): number {
  return BULL_PRIORITY[priority];
}

/** The takedown priority a BullMQ priority stands for (0 or anything unknown counts as normal). */
export function fromBullPriority(bullPriority: number): TakedownPriority {
  if (bullPriority >= 1 && bullPriority <= BULL_PRIORITY.urgent) return 'urgent';
  if (bullPriority >= BULL_PRIORITY.bulk) return 'bulk';
  return 'normal';
}

/** Whether `a` runs sooner than `b`. */
export function isHigherPriority(a: TakedownPriority, b: TakedownPriority): boolean {
  return BULL_PRIORITY[a] < BULL_PRIORITY[b];
}

export const REASON_MAX_CHARS = 500;
export const REQUESTED_BY_MAX_CHARS = 200;
export const BATCH_ID_MAX_CHARS = 64;

/** What a caller may send. `region` and one of `sid`/`streamKey` are required. */
export interface TakedownRequest extends ModerationFields {
  region: Region;
  /**
   * Other regions the stream key is live in (a script-generated key works in every region):
   * the key is revoked and its sessions cut there too, after the job's region is done.
   * An array, or a string such as "eu,ap" (CSV cells, CLI flags).
   */
  extraRegions?: Region[] | string;
  /** Defaults to the configured App ID (`AGORA_APP_ID`). */
  appId?: string;
  sid?: string;
  streamKey?: string;
  channel?: string;
  reason?: string;
  requestedBy?: string;
  /** @defaultValue 'normal' */
  priority?: TakedownPriority;
  batchId?: string;
  /** Where the outcome is POSTed (signed); see callback-url.ts for what is allowed. */
  callbackUrl?: string;
  /** The enforcement rule that triggered this takedown (set by the notifications pipeline). */
  ruleId?: string;
}

/** What a takedown job carries (`job.data.payload`). */
export interface TakedownPayload extends ModerationFields {
  v: 1;
  region: Region;
  /** Other regions to revoke the key and cut its sessions in; never the job's region, no repeats. */
  extraRegions?: Region[];
  appId: string;
  sid?: string;
  streamKey?: string;
  channel?: string;
  reason?: string;
  requestedBy?: string;
  priority: TakedownPriority;
  batchId?: string;
  callbackUrl?: string;
  /** The enforcement rule that triggered this takedown, when one did. */
  ruleId?: string;
  /** ISO 8601, set when the request was accepted. */
  requestedAt: string;
}

export interface ParseTakedownRequestOptions {
  /** The configured `AGORA_APP_ID`, used when a request names no appId. */
  defaultAppId?: string | undefined;
  /** Clock for `requestedAt` (tests). */
  now?: () => Date;
  /** `CALLBACK_ALLOWED_HOSTS`, parsed; loopback is always allowed. @defaultValue [] */
  callbackAllowedHosts?: readonly AllowedHost[];
}

export type ParseResult<T> = { ok: true; value: T } | { ok: false; errors: FieldError[] };

/** Every field a takedown request may carry (the intake's schema lists the same). */
export const REQUEST_FIELDS = [
  'region',
  'appId',
  'sid',
  'streamKey',
  'channel',
  'reason',
  'requestedBy',
  'priority',
  'batchId',
  'callbackUrl',
  'ruleId',
  'extraRegions',
  ...MODERATION_FIELDS,
] as const;
const PAYLOAD_FIELDS = ['v', ...REQUEST_FIELDS, 'requestedAt'] as const;

const BATCH_ID_RE = /^[A-Za-z0-9._-]+$/;
const BATCH_ID_ALLOWED = `1–${BATCH_ID_MAX_CHARS} characters A-Z a-z 0-9 . _ -`;
// Free text ends up in logs, terminals and the dashboard: no C0/C1 controls, no line or
// paragraph separators, no bidi overrides (they can disguise what a log line says), and no
// lone surrogates (not valid Unicode).
export const FORBIDDEN_TEXT_RE =
  // eslint-disable-next-line no-control-regex
  /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]|\p{Cs}/u;
const ISO_INSTANT_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;
const MAX_UNKNOWN_REPORTED = 10;

type Mode = 'request' | 'payload';

/** A field name that is safe to print: escaped, bounded. */
function printableName(name: string): string {
  const bounded = name.length > 40 ? `${name.slice(0, 40)}…` : name;
  return /^[A-Za-z0-9_$.-]+$/.test(bounded) ? bounded : JSON.stringify(bounded);
}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function codePointLength(value: string): number {
  let n = 0;
  for (const _ of value) n++;
  return n;
}

class Collector {
  readonly errors: FieldError[] = [];
  constructor(
    private readonly source: Record<string, unknown>,
    private readonly mode: Mode,
  ) {}

  add(field: string, message: string): void {
    this.errors.push({ field, message });
  }

  /** Own properties only: nothing may come from a (polluted) prototype. */
  raw(field: string): unknown {
    return Object.hasOwn(this.source, field) ? this.source[field] : undefined;
  }

  /**
   * A field's value, or undefined when absent. Requests also treat null and '' as absent (an
   * empty CSV cell); payloads are written by our own producer, so only a missing key is absent.
   */
  present(field: string): unknown {
    const value = this.raw(field);
    if (this.mode === 'request' && (value === null || value === '')) return undefined;
    return value;
  }

  string(field: string, allowed: string): string | undefined {
    const value = this.present(field);
    if (value === undefined) return undefined;
    if (typeof value !== 'string') {
      this.add(field, `${field} must be a string: ${allowed}; got ${typeName(value)}`);
      return undefined;
    }
    return value;
  }

  identifier(
    field: string,
    allowed: string,
    valid: (v: unknown) => boolean,
    preview: (v: unknown) => string = previewValue,
  ): string | undefined {
    const value = this.string(field, allowed);
    if (value === undefined) return undefined;
    if (!valid(value)) {
      this.add(field, `${field} must be ${allowed}; got ${preview(value)}`);
      return undefined;
    }
    return value;
  }

  text(field: string, maxChars: number): string | undefined {
    const allowed = `text of at most ${maxChars} characters without control characters`;
    const value = this.string(field, allowed);
    if (value === undefined) return undefined;
    const length = value.length > maxChars * 2 ? value.length : codePointLength(value);
    if (length > maxChars) {
      this.add(field, `${field} is ${length} characters long; at most ${maxChars} are allowed`);
      return undefined;
    }
    const bad = FORBIDDEN_TEXT_RE.exec(value);
    if (bad) {
      const code = (bad[0].codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0');
      this.add(
        field,
        `${field} contains a control or invisible formatting character (U+${code}); ${allowed} allowed`,
      );
      return undefined;
    }
    return value;
  }

  oneOf<T extends string>(field: string, values: readonly T[]): T | undefined {
    const allowed = `one of ${values.join(', ')}`;
    const value = this.string(field, allowed);
    if (value === undefined) return undefined;
    if (!(values as readonly string[]).includes(value)) {
      this.add(field, `${field} must be ${allowed}; got ${previewValue(value)}`);
      return undefined;
    }
    return value as T;
  }

  /** Requests also take yes/no/true/false strings (CSV cells); payloads hold a boolean. */
  yesNo(field: string): boolean | undefined {
    const value = this.present(field);
    if (value === undefined || typeof value === 'boolean') return value;
    if (this.mode === 'request' && typeof value === 'string') {
      const lower = value.trim().toLowerCase();
      if (lower === 'true' || lower === 'yes') return true;
      if (lower === 'false' || lower === 'no') return false;
    }
    const got = typeof value === 'string' ? previewValue(value) : typeName(value);
    this.add(field, `${field} must be true or false (also "yes"/"no"); got ${got}`);
    return undefined;
  }

  /** EU/EEA country codes: an array, or (requests) a comma/space separated string. */
  territories(field: string): string[] | undefined {
    const value = this.present(field);
    if (value === undefined) return undefined;
    const allowed = 'EU/EEA country codes such as ["DE","FR"] (or "DE,FR")';
    let items: unknown[];
    if (Array.isArray(value)) items = value;
    else if (this.mode === 'request' && typeof value === 'string')
      items = value.split(/[\s,]+/).filter((s) => s !== '');
    else {
      this.add(field, `${field} must be ${allowed}; got ${typeName(value)}`);
      return undefined;
    }
    const out: string[] = [];
    for (const item of items) {
      const code = typeof item === 'string' ? item.toUpperCase() : undefined;
      if (code === undefined || !(TERRITORIES as readonly string[]).includes(code)) {
        const got = typeof item === 'string' ? previewValue(item) : typeName(item);
        this.add(field, `${field} must hold ${allowed}; got ${got}`);
        return undefined;
      }
      if (!out.includes(code)) out.push(code);
    }
    if (out.length === 0) {
      this.add(field, `${field} must name at least one country: ${allowed}`);
      return undefined;
    }
    return out;
  }

  /** Regions: an array, or (requests) a string separated by commas, semicolons or spaces. */
  regions(field: string): Region[] | undefined {
    const value = this.present(field);
    if (value === undefined) return undefined;
    const allowed = `regions, each ${describeAllowed.region}, such as ["eu","ap"] (or "eu,ap")`;
    let items: unknown[];
    if (Array.isArray(value)) items = value;
    else if (this.mode === 'request' && typeof value === 'string')
      items = value.split(/[\s,;]+/).filter((s) => s !== '');
    else {
      this.add(field, `${field} must be a list of ${allowed}; got ${typeName(value)}`);
      return undefined;
    }
    const out: Region[] = [];
    for (const item of items) {
      if (!isValidRegion(item)) {
        const got = typeof item === 'string' ? previewValue(item) : typeName(item);
        this.add(field, `${field} must hold ${allowed}; got ${got}`);
        return undefined;
      }
      if (!out.includes(item)) out.push(item);
    }
    if (this.mode === 'payload' && out.length === 0) {
      this.add(field, `${field} must name at least one region when present: ${allowed}`);
      return undefined;
    }
    return out;
  }

  unknownFields(known: readonly string[]): void {
    const unknown = Object.keys(this.source).filter((key) => !known.includes(key));
    for (const key of unknown.slice(0, MAX_UNKNOWN_REPORTED)) {
      this.add(
        printableName(key),
        `unknown field ${printableName(key)}; allowed fields: ${known.join(', ')}`,
      );
    }
    if (unknown.length > MAX_UNKNOWN_REPORTED) {
      const rest = unknown.length - MAX_UNKNOWN_REPORTED;
      this.add(
        '(unknown fields)',
        `and ${rest} more unknown field(s); allowed fields: ${known.join(', ')}`,
      );
    }
  }
}

function validate(
  input: unknown,
  mode: Mode,
  options: ParseTakedownRequestOptions,
): ParseResult<TakedownPayload> {
  if (!isPlainObject(input)) {
    const what = mode === 'request' ? 'takedown request' : 'takedown payload';
    return {
      ok: false,
      errors: [
        {
          field: mode,
          message: `a ${what} must be an object with at least region and a sid or streamKey; got ${typeName(input)}`,
        },
      ],
    };
  }
  const c = new Collector(input, mode);
  c.unknownFields(mode === 'request' ? REQUEST_FIELDS : PAYLOAD_FIELDS);

  if (mode === 'payload') {
    const v = c.raw('v');
    if (v !== PAYLOAD_VERSION) {
      c.add(
        'v',
        v === undefined
          ? `v (payload version) is required; this worker understands v ${PAYLOAD_VERSION}`
          : `v (payload version) must be ${PAYLOAD_VERSION}; got ${typeof v === 'number' ? v : typeName(v)}`,
      );
    }
  }

  let region: Region | undefined;
  const rawRegion = c.present('region');
  if (rawRegion === undefined) {
    c.add('region', `region is required: ${describeAllowed.region}`);
  } else if (typeof rawRegion !== 'string') {
    c.add(
      'region',
      `region must be a string: ${describeAllowed.region}; got ${typeName(rawRegion)}`,
    );
  } else if (!isValidRegion(rawRegion)) {
    c.add('region', `region must be ${describeAllowed.region}; got ${previewValue(rawRegion)}`);
  } else {
    region = rawRegion;
  }

  const extraRegions = c.regions('extraRegions');

  let appId = c.identifier('appId', describeAllowed.appId, isValidAppId);
  if (appId === undefined && c.present('appId') === undefined) {
    if (mode === 'payload') {
      c.add('appId', `appId is required: ${describeAllowed.appId}`);
    } else if (options.defaultAppId === undefined || options.defaultAppId === '') {
      c.add(
        'appId',
        `appId is required (no default App ID is configured: set AGORA_APP_ID): ${describeAllowed.appId}`,
      );
    } else if (!isValidAppId(options.defaultAppId)) {
      c.add(
        'appId',
        `appId was not given and the configured default App ID is invalid; expected ${describeAllowed.appId}`,
      );
    } else {
      appId = options.defaultAppId;
    }
  }

  const sid = c.identifier('sid', describeAllowed.sid, isValidSid);
  const streamKey = c.identifier(
    'streamKey',
    describeAllowed.streamKey,
    isValidStreamKey,
    previewSecret,
  );
  if (c.present('sid') === undefined && c.present('streamKey') === undefined) {
    c.add('sid', 'sid or streamKey is required: give the session id, the stream key, or both');
  }
  const channel = c.identifier('channel', describeAllowed.channel, isValidChannel);
  const reason = c.text('reason', REASON_MAX_CHARS);
  const requestedBy = c.text('requestedBy', REQUESTED_BY_MAX_CHARS);

  let priority: TakedownPriority | undefined;
  const rawPriority = c.present('priority');
  const priorityAllowed = `one of ${PRIORITY_VALUES.join(', ')}`;
  if (rawPriority === undefined) {
    if (mode === 'payload') c.add('priority', `priority is required: ${priorityAllowed}`);
    else priority = DEFAULT_PRIORITY;
  } else if ((PRIORITY_VALUES as readonly unknown[]).includes(rawPriority)) {
    priority = rawPriority as TakedownPriority;
  } else {
    c.add(
      'priority',
      `priority must be ${priorityAllowed}; got ${typeof rawPriority === 'string' ? previewValue(rawPriority) : typeName(rawPriority)}`,
    );
  }

  const batchId = c.identifier(
    'batchId',
    BATCH_ID_ALLOWED,
    (v) => typeof v === 'string' && v.length <= BATCH_ID_MAX_CHARS && BATCH_ID_RE.test(v),
  );

  let callbackUrl: string | undefined;
  const rawCallback = c.string('callbackUrl', 'an https URL');
  if (rawCallback !== undefined) {
    // A stored payload's host is checked by the callback worker against its own allow list.
    const problem = checkCallbackUrl(
      rawCallback,
      mode === 'request' ? (options.callbackAllowedHosts ?? []) : 'shape-only',
    );
    if (problem === undefined) callbackUrl = rawCallback;
    else c.add('callbackUrl', `callbackUrl ${problem}`);
  }

  const moderation = validateModeration(c);
  const ruleId = c.identifier(
    'ruleId',
    BATCH_ID_ALLOWED,
    (v) => typeof v === 'string' && v.length <= BATCH_ID_MAX_CHARS && BATCH_ID_RE.test(v),
  );

  let requestedAt: string | undefined;
  if (mode === 'payload') {
    const allowed = 'an ISO 8601 timestamp such as 2026-01-01T12:00:00.000Z';
    const raw = c.string('requestedAt', allowed);
    if (raw === undefined) {
      if (c.present('requestedAt') === undefined)
        c.add('requestedAt', `requestedAt is required: ${allowed}`);
    } else if (!ISO_INSTANT_RE.test(raw) || Number.isNaN(Date.parse(raw))) {
      c.add('requestedAt', `requestedAt must be ${allowed}; got ${previewValue(raw)}`);
    } else {
      requestedAt = raw;
    }
  } else {
    requestedAt = (options.now?.() ?? new Date()).toISOString();
  }

  if (
    c.errors.length > 0 ||
    region === undefined ||
    appId === undefined ||
    priority === undefined ||
    requestedAt === undefined
  ) {
    return { ok: false, errors: c.errors };
  }
  const value: TakedownPayload = { v: PAYLOAD_VERSION, region, appId, priority, requestedAt };
  // The job's region is always revoked first; naming it again adds nothing.
  const extra = extraRegions?.filter((r) => r !== region) ?? [];
  if (extra.length > 0) value.extraRegions = extra;
  if (sid !== undefined) value.sid = sid;
  if (streamKey !== undefined) value.streamKey = streamKey;
  if (channel !== undefined) value.channel = channel;
  if (reason !== undefined) value.reason = reason;
  if (requestedBy !== undefined) value.requestedBy = requestedBy;
  if (batchId !== undefined) value.batchId = batchId;
  if (callbackUrl !== undefined) value.callbackUrl = callbackUrl;
  if (ruleId !== undefined) value.ruleId = ruleId;
  return { ok: true, value: Object.assign(value, moderation) };
}

/** The moderation fields: each checked, and all required ones present once any is given. */
function validateModeration(c: Collector): ModerationFields {
  const out: ModerationFields = {};
  const decisionGround = c.oneOf<DecisionGround>('decisionGround', DECISION_GROUNDS);
  if (decisionGround !== undefined) out.decisionGround = decisionGround;
  const legalGround = c.text('legalGround', LEGAL_GROUND_MAX_CHARS);
  if (legalGround !== undefined) out.legalGround = legalGround;
  const category = c.identifier(
    'category',
    'a DSA statement category such as STATEMENT_CATEGORY_VIOLENCE',
    (v) => typeof v === 'string' && CATEGORY_RE.test(v),
  );
  if (category !== undefined) out.category = category;
  const facts = c.text('facts', FACTS_MAX_CHARS);
  if (facts !== undefined) out.facts = facts;
  const automatedDetection = c.yesNo('automatedDetection');
  if (automatedDetection !== undefined) out.automatedDetection = automatedDetection;
  const automatedDecision = c.oneOf<AutomatedDecision>('automatedDecision', AUTOMATED_DECISIONS);
  if (automatedDecision !== undefined) out.automatedDecision = automatedDecision;
  const territorialScope = c.territories('territorialScope');
  if (territorialScope !== undefined) out.territorialScope = territorialScope;
  const sourceType = c.oneOf<SourceType>('sourceType', SOURCE_TYPES);
  if (sourceType !== undefined) out.sourceType = sourceType;

  const given = MODERATION_FIELDS.filter((f) => c.present(f) !== undefined);
  if (given.length > 0) {
    for (const field of MODERATION_REQUIRED) {
      if (c.present(field) === undefined) {
        c.add(
          field,
          `${field} is required when a request carries moderation fields (${given.join(', ')}): ` +
            `a DSA statement of reasons needs ${MODERATION_REQUIRED.join(', ')}`,
        );
      }
    }
  }
  return out;
}

/**
 * Validates a request from a producer (CLI, batch row, HTTP intake, library call) and turns it
 * into a payload: `appId` defaults to `options.defaultAppId`, `priority` to 'normal',
 * `requestedAt` to now. In requests, null and '' count as "not given" (empty CSV cells).
 */
export function parseTakedownRequest(
  input: unknown,
  options: ParseTakedownRequestOptions = {},
): ParseResult<TakedownPayload> {
  return validate(input, 'request', options);
}

/** Checks a stored payload without applying defaults; the non-throwing form of the assert. */
export function parseTakedownPayload(data: unknown): ParseResult<TakedownPayload> {
  return validate(data, 'payload', {});
}

/** Worker side: the job's payload exactly as a producer writes it, or InvalidPayloadError. */
export function assertTakedownPayload(data: unknown): TakedownPayload {
  const result = validate(data, 'payload', {});
  if (!result.ok) throw new InvalidPayloadError(result.errors);
  return result.value;
}
