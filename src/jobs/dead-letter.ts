/**
 * The dead-letter entry: written by the worker (processor before giving up, and the reconciler)
 * into queue `takedown-dlq` under the original job id, read by the producer's DLQ admin and the
 * CLI (`dlq list --json`). Versioned like the payload.
 */

export type DeadLetterReason = 'permanent' | 'attempts-exhausted' | 'stalled' | 'invalid-payload';

/** The last error, reduced to what an operator (or Agora support) needs. Never headers or secrets. */
export interface DeadLetterError {
  name: string;
  /** HTTP status when the error was an answer from Agora. */
  status?: number;
  message: string;
  /** X-Request-ID of the failed call, to quote to Agora support. */
  requestId?: string;
}

export interface DeadLetterEntry {
  v: 1;
  jobId: string;
  /** The original takedown payload (`job.data.payload`, or the whole job data when it has none); possibly invalid. */
  payload: unknown;
  /** The step cursor at the time of failure, when the job had one (what was already revoked/cut). */
  progress?: unknown;
  sid?: string;
  streamKey?: string;
  appId?: string;
  region?: string;
  failedStep: string;
  attempts: number;
  reason: DeadLetterReason;
  error: DeadLetterError;
  /**
   * Each region's answer for the key when the job failed (RegionAnswer: `revoked`, `not-found`,
   * `failed: …`, `pending`), the job's region first. Written by the processor; absent in an entry
   * the reconciler wrote or when no key was known.
   */
  regions?: Record<string, string>;
  /** ISO 8601. */
  failedAt: string;
  /** ISO 8601, when the job was first added. */
  enqueuedAt?: string;
}

export interface ToDeadLetterEntryInput {
  jobId: string;
  /** The job's data as stored (the payload wrapper, or whatever a poison job holds). */
  data: unknown;
  err: unknown;
  failedStep: string;
  attempts: number;
  reason: DeadLetterReason;
  now: Date;
  enqueuedAt?: Date | string | number | undefined;
  regions?: Record<string, string> | undefined;
}

const MAX_MESSAGE_CHARS = 1000;

// Belt and braces: error messages are built without credentials, but a message from an unknown
// source (a bug, a library) could still quote a header or a URL with a password in it.
const SECRET_PATTERNS: readonly [RegExp, string][] = [
  [/\b(Basic|Bearer|Digest|hmac)\s+[A-Za-z0-9+/=._~-]{6,}/gi, '$1 [redacted]'],
  [/(authorization["']?\s*[:=]\s*["']?)[^"',;\s]+/gi, '$1[redacted]'],
  [/\b([a-z][a-z0-9+.-]*:\/\/)[^/\s:@]*:[^/\s@]*@/gi, '$1[redacted]@'],
  [/((?:secret|password|token)["']?\s*[:=]\s*["']?)[^"',;\s]+/gi, '$1[redacted]'],
];

function scrub(message: string): string {
  let out = message;
  for (const [pattern, replacement] of SECRET_PATTERNS) out = out.replace(pattern, replacement);
  return out.length > MAX_MESSAGE_CHARS ? `${out.slice(0, MAX_MESSAGE_CHARS)}…` : out;
}

function field(obj: unknown, key: string): unknown {
  return typeof obj === 'object' && obj !== null && Object.hasOwn(obj, key)
    ? (obj as Record<string, unknown>)[key]
    : undefined;
}

function prop(obj: object, key: string): unknown {
  // Agora errors keep their fields as own properties; read them structurally so an error from
  // another copy of the module (or rebuilt from JSON) is described the same way.
  return (obj as Record<string, unknown>)[key];
}

/**
 * Name, HTTP status, message and request id of any thrown value. Agora errors (`AgoraHttpError`
 * and friends) are read by their fields: `status`, `agoraMessage`, `requestId`. Nothing else is
 * copied — no `cause`, no response, no options — so no header can leak.
 */
export function describeError(err: unknown): DeadLetterError {
  if (typeof err !== 'object' || err === null) {
    return { name: 'NonError', message: scrub(String(err)) };
  }
  const rawName = prop(err, 'name');
  const name = typeof rawName === 'string' && rawName !== '' ? rawName : 'Error';
  const rawMessage = prop(err, 'message');
  let message = typeof rawMessage === 'string' ? rawMessage : '';
  const agoraMessage = prop(err, 'agoraMessage');
  if (typeof agoraMessage === 'string' && agoraMessage !== '' && !message.includes(agoraMessage)) {
    message = message === '' ? agoraMessage : `${message}: ${agoraMessage}`;
  }
  const out: DeadLetterError = { name, message: scrub(message) };
  const status = prop(err, 'status');
  if (typeof status === 'number' && Number.isInteger(status) && status >= 100 && status <= 599)
    out.status = status;
  const requestId = prop(err, 'requestId');
  if (typeof requestId === 'string' && requestId !== '')
    out.requestId = scrub(requestId).slice(0, 100);
  return out;
}

function toIso(value: Date | string | number | undefined): string | undefined {
  if (value === undefined) return undefined;
  const date = value instanceof Date ? value : new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

function stringField(obj: unknown, key: string): string | undefined {
  const value = field(obj, key);
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/**
 * Builds the DLQ entry for a failed job. `data` is the job data as stored: its `payload` is kept
 * as-is (it may be the very thing that was invalid) and the summary fields (sid, streamKey,
 * appId, region) are read from it when they are strings; a key learned by resolve is taken from
 * the progress when the payload named none.
 */
export function toDeadLetterEntry(input: ToDeadLetterEntryInput): DeadLetterEntry {
  const { data } = input;
  const hasWrapper = field(data, 'payload') !== undefined;
  const payload = hasWrapper ? field(data, 'payload') : data;
  const progress = hasWrapper ? field(data, 'progress') : undefined;

  const entry: DeadLetterEntry = {
    v: 1,
    jobId: input.jobId,
    payload,
    failedStep: input.failedStep,
    attempts: input.attempts,
    reason: input.reason,
    error: describeError(input.err),
    failedAt: input.now.toISOString(),
  };
  if (progress !== undefined) entry.progress = progress;
  if (input.regions !== undefined && Object.keys(input.regions).length > 0)
    entry.regions = { ...input.regions };
  const sid = stringField(payload, 'sid');
  const streamKey = stringField(payload, 'streamKey') ?? stringField(progress, 'streamKey');
  const appId = stringField(payload, 'appId');
  const region = stringField(payload, 'region');
  if (sid !== undefined) entry.sid = sid;
  if (streamKey !== undefined) entry.streamKey = streamKey;
  if (appId !== undefined) entry.appId = appId;
  if (region !== undefined) entry.region = region;
  const enqueuedAt = toIso(input.enqueuedAt);
  if (enqueuedAt !== undefined) entry.enqueuedAt = enqueuedAt;
  return entry;
}
