import type { Region } from '../agora/types.js';
import type { EnforcementRule } from './enforcement-rule.js';

/** What is known of a live push when it is checked against the rules. */
export interface LivePush {
  appId: string;
  region: Region;
  channel?: string | undefined;
  uid?: string | undefined;
  /** Undefined when the key is not known (masked in the event and not resolved yet). */
  streamKey?: string | undefined;
}

/** Whether one rule covers the push; a key rule never matches a push whose key is unknown. */
export function ruleMatches(rule: EnforcementRule, push: LivePush): boolean {
  if (rule.appId !== push.appId) return false;
  if (rule.region !== undefined && rule.region !== push.region) return false;
  if (rule.streamKey !== undefined) return push.streamKey === rule.streamKey;
  if (rule.channel !== undefined && rule.channel !== push.channel) return false;
  if (rule.uid !== undefined && rule.uid !== push.uid) return false;
  return rule.channel !== undefined || rule.uid !== undefined;
}

/** The first rule (oldest) that covers the push, or undefined. */
export function matchRules(
  rules: readonly EnforcementRule[],
  push: LivePush,
): EnforcementRule | undefined {
  return rules.find((rule) => ruleMatches(rule, push));
}
