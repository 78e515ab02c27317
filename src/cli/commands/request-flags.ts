import { userInfo } from 'node:os';
import type { Command } from 'commander';
import type { ModerationField } from '../../jobs/index.js';

/**
 * The request fields every command that queues takedowns takes (enqueue, batch, channel,
 * expire): the key's other regions, who asks, where the outcome goes, and the moderation
 * decision (DSA statement of reasons). Flag → request field; every moderation field
 * (src/jobs/moderation.ts) has its flag.
 */
export const REQUEST_FLAGS = {
  extraRegions: '--extra-regions',
  requestedBy: '--requested-by',
  callbackUrl: '--callback-url',
  decisionGround: '--decision-ground',
  legalGround: '--legal-ground',
  category: '--category',
  facts: '--facts',
  automatedDetection: '--automated-detection',
  automatedDecision: '--automated-decision',
  territorialScope: '--territorial-scope',
  sourceType: '--source-type',
} as const satisfies Record<
  'extraRegions' | 'requestedBy' | 'callbackUrl' | ModerationField,
  string
>;

export type RequestFlagField = keyof typeof REQUEST_FLAGS;
export type RequestFlags = Partial<Record<RequestFlagField, string>>;

export function addRequestFlags(command: Command): Command {
  return command
    .option(
      '--extra-regions <regions>',
      'other regions the stream key is live in (comma list of na, eu, ap, cn): revoked and its ' +
        'sessions cut there after the job region is done',
    )
    .option(
      '--requested-by <name>',
      'who asks (recorded in the audit trail; default: your OS user)',
    )
    .option(
      '--callback-url <url>',
      'POST the signed outcome here (https; loopback or CALLBACK_ALLOWED_HOSTS only)',
    )
    .option(
      '--decision-ground <ground>',
      'DSA: DECISION_GROUND_ILLEGAL_CONTENT or DECISION_GROUND_INCOMPATIBLE_CONTENT',
    )
    .option('--legal-ground <text>', 'DSA: the law or terms clause relied on')
    .option('--category <category>', 'DSA: STATEMENT_CATEGORY_… of the decision')
    .option('--facts <text>', 'DSA: facts and circumstances relied on (at most 5000 characters)')
    .option('--automated-detection <yes|no>', 'DSA: was the content detected by automated means')
    .option(
      '--automated-decision <value>',
      'DSA: AUTOMATED_DECISION_FULLY, AUTOMATED_DECISION_PARTIALLY or AUTOMATED_DECISION_NOT_AUTOMATED',
    )
    .option('--territorial-scope <codes>', 'DSA: EU/EEA country codes, comma-separated (DE,FR)')
    .option(
      '--source-type <type>',
      'DSA: SOURCE_ARTICLE_16, SOURCE_TRUSTED_FLAGGER, SOURCE_TYPE_OTHER_NOTIFICATION or SOURCE_VOLUNTARY',
    );
}

/** The OS user running the command, or undefined when the system cannot say. */
export function osUser(): string | undefined {
  try {
    const name = userInfo().username;
    return name === '' ? undefined : name;
  } catch {
    return undefined;
  }
}

/** The fields the flags set; `requestedBy` defaults to the OS user. */
export function requestFieldsFromFlags(flags: RequestFlags): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const field of Object.keys(REQUEST_FLAGS) as RequestFlagField[]) {
    const value = flags[field];
    if (value !== undefined) fields[field] = value;
  }
  if (fields['requestedBy'] === undefined) {
    const user = osUser();
    if (user !== undefined) fields['requestedBy'] = user;
  }
  return fields;
}
