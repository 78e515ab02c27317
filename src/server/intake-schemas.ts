import { describeAllowed, IDENTIFIER_PATTERNS, REGIONS } from '../agora/index.js';
import {
  AUTOMATED_DECISIONS,
  DECISION_GROUNDS,
  SOURCE_TYPES,
  BATCH_ID_MAX_CHARS,
  PRIORITY_VALUES,
  REASON_MAX_CHARS,
  REQUESTED_BY_MAX_CHARS,
} from '../jobs/index.js';

/**
 * The intake's JSON Schemas: Fastify validates requests with them and @fastify/swagger builds
 * /openapi.json from them, so the document is the contract that is enforced. The producer then
 * validates again with the same rules (src/jobs, src/agora/paths.ts: the patterns below come from
 * there) and checks what a schema cannot say (control characters, byte lengths, '.'/'..').
 * Requests treat null and '' as "not given" (as an empty CSV cell).
 */

function optional(pattern: string | undefined, description: string, maxLength?: number): object {
  return {
    type: ['string', 'null'],
    description: `${description} Null or '' means not given.`,
    ...(pattern === undefined ? {} : { pattern: `^$|${pattern}` }),
    ...(maxLength === undefined ? {} : { maxLength }),
  };
}

export const takedownRequestSchema = {
  type: 'object',
  description: 'One takedown: `region` and a `sid`, a `streamKey`, or both.',
  required: ['region'],
  anyOf: [{ required: ['sid'] }, { required: ['streamKey'] }],
  additionalProperties: false,
  properties: {
    region: {
      type: 'string',
      enum: [...REGIONS],
      description: `Agora region of the stream: ${describeAllowed.region}.`,
    },
    extraRegions: {
      description:
        'Other regions the stream key is live in (a script-generated key works in every region): ' +
        'the key is revoked and its sessions cut there too, after the job region is revoked and cut. ' +
        'An array such as ["eu","ap"], or a string "eu,ap". The job region, repeats, null and [] add nothing.',
      anyOf: [
        {
          type: 'array',
          items: { type: 'string', enum: [...REGIONS] },
          maxItems: REGIONS.length * 2,
        },
        { type: 'string', maxLength: 64 },
        { type: 'null' },
      ],
    },
    appId: optional(
      IDENTIFIER_PATTERNS.appId,
      `Agora App ID (${describeAllowed.appId}); default: the worker's AGORA_APP_ID.`,
    ),
    sid: optional(
      IDENTIFIER_PATTERNS.segment,
      `Push session id to force-disconnect (${describeAllowed.sid}).`,
    ),
    streamKey: optional(
      IDENTIFIER_PATTERNS.segment,
      `Streaming key to revoke (${describeAllowed.streamKey}). A credential: answers never echo it.`,
    ),
    channel: optional(IDENTIFIER_PATTERNS.nameChars, `Channel (${describeAllowed.channel}).`),
    reason: optional(undefined, 'Why (free text, no control characters).', REASON_MAX_CHARS),
    requestedBy: optional(undefined, 'Who asked (free text).', REQUESTED_BY_MAX_CHARS),
    priority: {
      type: ['string', 'null'],
      enum: [...PRIORITY_VALUES, '', null],
      description: 'urgent overtakes normal, normal overtakes bulk. Default: normal.',
    },
    callbackUrl: optional(
      undefined,
      'https URL to POST the outcome to (Standard Webhooks signed; host must be in CALLBACK_ALLOWED_HOSTS).',
    ),
    // DSA statement-of-reasons fields (all required once one is given; checked by the producer).
    decisionGround: optional(undefined, `One of ${DECISION_GROUNDS.join(', ')}.`),
    legalGround: optional(undefined, 'Legal ground (text).'),
    category: optional(undefined, 'A DSA statement category such as STATEMENT_CATEGORY_VIOLENCE.'),
    facts: optional(undefined, 'Decision facts (text).'),
    automatedDetection: { description: 'Whether the content was detected automatically (Yes/No).' },
    automatedDecision: optional(undefined, `One of ${AUTOMATED_DECISIONS.join(', ')}.`),
    territorialScope: { description: 'EEA country codes the decision applies to.' },
    sourceType: optional(undefined, `One of ${SOURCE_TYPES.join(', ')}.`),
    batchId: optional(
      '^[A-Za-z0-9._-]+$',
      'Groups takedowns for GET /v1/batches/{batchId}.',
      BATCH_ID_MAX_CHARS,
    ),
    ruleId: optional(
      '^[A-Za-z0-9._-]+$',
      'The enforcement rule this takedown enforces (set by rule matches; see /v1/rules).',
      BATCH_ID_MAX_CHARS,
    ),
  },
} as const;

const fieldErrorSchema = {
  type: 'object',
  required: ['field', 'message'],
  properties: {
    field: { type: 'string', description: "The offending field, or '(body)'." },
    message: { type: 'string', description: 'What is wrong and what is allowed.' },
  },
};

export const errorSchema = {
  type: 'object',
  required: ['error', 'message'],
  additionalProperties: true,
  properties: {
    error: {
      type: 'string',
      description:
        'invalid-request, unauthorized, not-found, payload-too-large, queue-unavailable, internal…',
    },
    message: { type: 'string' },
    fieldErrors: { type: 'array', items: fieldErrorSchema },
  },
};

const enqueueResultProperties = {
  jobId: { type: 'string', description: 'Deterministic: the same SID (or key) gives the same id.' },
  status: { type: 'string', enum: ['enqueued', 'duplicate'] },
  state: { type: 'string', description: 'waiting, delayed, active, completed, failed, …' },
  priority: { type: 'string', enum: [...PRIORITY_VALUES] },
  merged: {
    type: 'array',
    items: { type: 'string', enum: ['priority', 'streamKey', 'extraRegions'] },
    description: 'Duplicates: what the request changed in the existing takedown.',
  },
  unmerged: {
    type: 'object',
    description:
      'Duplicates: extra regions no takedown will handle (the takedown is past them and there is ' +
      'no other one to give them). Nothing was queued for them.',
    properties: {
      extraRegions: { type: 'array', items: { type: 'string', enum: [...REGIONS] } },
    },
  },
};

export const enqueueResultSchema = {
  type: 'object',
  required: ['jobId', 'status', 'state'],
  additionalProperties: true,
  properties: {
    ...enqueueResultProperties,
    keyTakedown: {
      type: 'object',
      description: "Duplicates: the request's key got a takedown of its own.",
      additionalProperties: true,
      properties: enqueueResultProperties,
    },
  },
};

export const jobStatusSchema = {
  type: 'object',
  description: 'The takedown as `takedown status --json` shows it.',
  required: ['jobId', 'state'],
  additionalProperties: true,
  properties: {
    jobId: { type: 'string' },
    state: {
      type: 'string',
      description: 'waiting, delayed, active, completed, failed, dead-lettered, …',
    },
  },
};

export const batchRequestSchema = {
  type: 'array',
  description:
    'Takedown requests, each as in POST /v1/takedowns. An invalid item does not fail the batch: it is rejected on its own in `results`.',
  items: { description: 'A takedown request (see TakedownRequest); validated item by item.' },
};

export const batchResultSchema = {
  type: 'object',
  required: ['batchId', 'counts', 'results'],
  additionalProperties: true,
  properties: {
    batchId: { type: 'string' },
    counts: {
      type: 'object',
      additionalProperties: true,
      description: '{total, enqueued, duplicates, rejected, …}',
    },
    results: {
      type: 'array',
      items: {
        type: 'object',
        required: ['index', 'status'],
        additionalProperties: true,
        properties: {
          index: { type: 'integer', description: 'Position in the submitted array, from 0.' },
          ...enqueueResultProperties,
          status: { type: 'string', enum: ['enqueued', 'duplicate', 'rejected'] },
          errors: { type: 'array', items: fieldErrorSchema },
        },
      },
    },
  },
};

export const batchStatusSchema = {
  type: 'object',
  description: 'Progress of a batch: counts per state.',
  additionalProperties: true,
};

export function idParamsSchema(name: string, description: string): object {
  return {
    type: 'object',
    required: [name],
    properties: { [name]: { type: 'string', minLength: 1, maxLength: 1024, description } },
  };
}

/** The answers every intake route may give besides its success. */
export const commonErrorResponses = {
  400: { ...errorSchema, description: 'Invalid request: `fieldErrors` names each field.' },
  401: { ...errorSchema, description: 'Missing or wrong bearer token.' },
  503: { ...errorSchema, description: 'Redis unreachable or too slow; retry (Retry-After).' },
};
