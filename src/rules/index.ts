export {
  MAX_RULE_DURATION_S,
  RULE_REQUEST_FIELDS,
  isRuleActive,
  isRuleId,
  newRuleId,
  parseRuleRequest,
  ruleTarget,
} from './enforcement-rule.js';
export type { EnforcementRule, RuleParseResult, RuleRequest } from './enforcement-rule.js';
export { matchRules, ruleMatches } from './match-rules.js';
export type { LivePush } from './match-rules.js';
export { createRuleStore, rulesKey, toRuleView } from './rule-store.js';
export type { RuleStore, RuleView } from './rule-store.js';
