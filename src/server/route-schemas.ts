/**
 * JSON schemas of the notification and rule routes, for the OpenAPI document. Validation of
 * these bodies is done by hand (src/rules, src/notifications) so that every error names its
 * field the same way the CLI does; the routes therefore use a pass-through validator.
 */

export const PASS_THROUGH_VALIDATOR = (): ((data: unknown) => boolean) => () => true;

const errorBody = {
  type: 'object',
  properties: {
    error: { type: 'string' },
    message: { type: 'string' },
    fieldErrors: {
      type: 'array',
      items: {
        type: 'object',
        properties: { field: { type: 'string' }, message: { type: 'string' } },
        required: ['field', 'message'],
      },
    },
  },
  required: ['error', 'message'],
} as const;

const ruleView = {
  type: 'object',
  properties: {
    id: { type: 'string', example: 'r-20260101T120000Z-0123abcd' },
    appId: { type: 'string' },
    region: { type: 'string', enum: ['na', 'eu', 'ap', 'cn'] },
    channel: { type: 'string' },
    uid: { type: 'string' },
    streamKey: { type: 'string', description: 'masked (abcd…xyz)' },
    keyFingerprint: { type: 'string' },
    reason: { type: 'string' },
    createdAt: { type: 'string', format: 'date-time' },
    expiresAt: { type: ['string', 'null'], format: 'date-time', description: 'null = forever' },
  },
  required: ['id', 'appId', 'reason', 'createdAt', 'expiresAt'],
} as const;

export const ADD_RULE_SCHEMA = {
  summary: 'Add an enforcement rule (and sweep what is live now)',
  tags: ['rules'],
  body: {
    type: 'object',
    description:
      'A target (channel, uid, channel + uid, or streamKey alone), exactly one of durationS / until / forever, and a reason.',
    properties: {
      appId: { type: 'string', description: 'default: AGORA_APP_ID' },
      region: {
        type: 'string',
        enum: ['na', 'eu', 'ap', 'cn'],
        description: 'default: every region',
      },
      channel: { type: 'string' },
      uid: { type: 'string' },
      streamKey: { type: 'string' },
      durationS: { type: 'integer', minimum: 1 },
      until: { type: 'string', format: 'date-time' },
      forever: { type: 'boolean', enum: [true] },
      reason: { type: 'string', maxLength: 500 },
    },
    required: ['reason'],
    additionalProperties: false,
  },
  response: {
    201: {
      type: 'object',
      properties: { rule: ruleView, batchId: { type: 'string' } },
      required: ['rule', 'batchId'],
    },
    400: errorBody,
    401: errorBody,
    503: errorBody,
  },
} as const;

export const LIST_RULES_SCHEMA = {
  summary: 'List the enforcement rules in force',
  tags: ['rules'],
  response: {
    200: {
      type: 'object',
      properties: { rules: { type: 'array', items: ruleView } },
      required: ['rules'],
    },
    401: errorBody,
    503: errorBody,
  },
} as const;

export const REMOVE_RULE_SCHEMA = {
  summary: 'Remove an enforcement rule',
  tags: ['rules'],
  params: {
    type: 'object',
    properties: { ruleId: { type: 'string', pattern: '^r-[A-Za-z0-9._-]{1,62}$' } },
    required: ['ruleId'],
  },
  response: {
    200: {
      type: 'object',
      properties: { ruleId: { type: 'string' }, status: { type: 'string', enum: ['removed'] } },
      required: ['ruleId', 'status'],
    },
    400: errorBody,
    401: errorBody,
    404: errorBody,
    503: errorBody,
  },
} as const;

export const NOTIFICATION_SCHEMA = {
  summary: 'Agora Notifications (NCS) receiver for Media Gateway events',
  description:
    'Point Agora Console > Notifications at this URL. Verified with Agora-Signature-V2 (HMAC-SHA256) or Agora-Signature (HMAC-SHA1) over the raw body and NCS_SECRET.',
  tags: ['notifications'],
  querystring: {
    type: 'object',
    properties: {
      appId: {
        type: 'string',
        description: 'the App ID the events belong to (default AGORA_APP_ID)',
      },
    },
  },
  headers: {
    type: 'object',
    properties: {
      'agora-signature-v2': { type: 'string', description: 'hex HMAC-SHA256 of the raw body' },
      'agora-signature': { type: 'string', description: 'hex HMAC-SHA1 of the raw body' },
    },
  },
  body: {
    type: 'object',
    properties: {
      noticeId: { type: 'string' },
      productId: { type: 'integer', description: '10 = Media Gateway; others are ignored' },
      eventType: {
        type: 'integer',
        description: '1 connected, 2 disconnected, 3 aborted, 4 profile updated',
      },
      notifyMs: { type: 'integer' },
      sid: { type: 'string' },
      payload: { type: 'object', additionalProperties: true },
    },
    required: ['noticeId', 'productId', 'eventType', 'notifyMs'],
  },
  response: {
    200: {
      type: 'object',
      properties: {
        status: { type: 'string', enum: ['accepted', 'duplicate', 'ignored'] },
        noticeId: { type: 'string' },
      },
      required: ['status'],
    },
    400: errorBody,
    401: errorBody,
    413: errorBody,
    503: errorBody,
  },
} as const;
