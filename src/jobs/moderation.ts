/**
 * The moderation decision a takedown request may carry, in the vocabulary of the EU DSA
 * Transparency Database (statements of reasons), so `takedown audit export --format dsa` can
 * write statements without translating anything.
 */

export const DECISION_GROUNDS = [
  'DECISION_GROUND_ILLEGAL_CONTENT',
  'DECISION_GROUND_INCOMPATIBLE_CONTENT',
] as const;
export type DecisionGround = (typeof DECISION_GROUNDS)[number];

export const AUTOMATED_DECISIONS = [
  'AUTOMATED_DECISION_FULLY',
  'AUTOMATED_DECISION_PARTIALLY',
  'AUTOMATED_DECISION_NOT_AUTOMATED',
] as const;
export type AutomatedDecision = (typeof AUTOMATED_DECISIONS)[number];

export const SOURCE_TYPES = [
  'SOURCE_ARTICLE_16',
  'SOURCE_TRUSTED_FLAGGER',
  'SOURCE_TYPE_OTHER_NOTIFICATION',
  'SOURCE_VOLUNTARY',
] as const;
export type SourceType = (typeof SOURCE_TYPES)[number];

/** The database's category list changes between schema versions; its API has the last word. */
export const CATEGORY_RE = /^STATEMENT_CATEGORY_[A-Z_]{1,80}$/;

/** EU and EEA member states: the values `territorial_scope` accepts. */
export const TERRITORIES = [
  'AT', 'BE', 'BG', 'CY', 'CZ', 'DE', 'DK', 'EE', 'ES', 'FI', 'FR', 'GR', 'HR', 'HU', 'IE', 'IT',
  'LT', 'LU', 'LV', 'MT', 'NL', 'PL', 'PT', 'RO', 'SE', 'SI', 'SK', 'IS', 'LI', 'NO',
] as const; // prettier-ignore

export const FACTS_MAX_CHARS = 5000;
export const LEGAL_GROUND_MAX_CHARS = 500;

/**
 * The moderation fields of a request; any one of them makes the required ones required. The one
 * list of them: batch columns, the audit record and its CSV columns derive from it, and the CLI's
 * request flags are checked against it.
 */
export const MODERATION_FIELDS = [
  'decisionGround',
  'legalGround',
  'category',
  'facts',
  'automatedDetection',
  'automatedDecision',
  'territorialScope',
  'sourceType',
] as const;

export type ModerationField = (typeof MODERATION_FIELDS)[number];

/** Required once a request carries any moderation field (a statement needs every one of them). */
export const MODERATION_REQUIRED = [
  'decisionGround',
  'legalGround',
  'category',
  'facts',
  'automatedDetection',
  'automatedDecision',
  'reason',
] as const;

export interface ModerationFields {
  decisionGround?: DecisionGround;
  /** The law (illegal content) or the terms-and-conditions clause (incompatible content) relied on. */
  legalGround?: string;
  category?: string;
  facts?: string;
  automatedDetection?: boolean;
  automatedDecision?: AutomatedDecision;
  territorialScope?: string[];
  sourceType?: SourceType;
}
