import type { RedisClient } from '../redis/index.js';
import { maskStreamKey, streamKeyFingerprint } from '../jobs/index.js';
import { isRuleActive } from './enforcement-rule.js';
import type { EnforcementRule } from './enforcement-rule.js';

/** The Redis hash of the rules: field = rule id, value = the rule as JSON. */
export function rulesKey(prefix: string): string {
  return `${prefix}:rules`;
}

/** A rule as it is shown (CLI, GET /v1/rules): the key masked, with its fingerprint. */
export interface RuleView extends Omit<EnforcementRule, 'streamKey'> {
  /** Masked (`abcd…xyz`). */
  streamKey?: string;
  keyFingerprint?: string;
}

export function toRuleView(rule: EnforcementRule): RuleView {
  const { streamKey, ...rest } = rule;
  if (streamKey === undefined) return rest;
  return {
    ...rest,
    streamKey: maskStreamKey(streamKey),
    keyFingerprint: streamKeyFingerprint(rule.appId, streamKey),
  };
}

export interface RuleStore {
  add(rule: EnforcementRule): Promise<void>;
  /** Rules in force at `nowMs`, oldest first; expired ones are deleted on the way. */
  active(nowMs?: number): Promise<EnforcementRule[]>;
  /** False when no rule has this id. */
  remove(id: string): Promise<boolean>;
}

function parseRule(json: string): EnforcementRule | undefined {
  try {
    const value = JSON.parse(json) as EnforcementRule;
    return typeof value === 'object' && value !== null && typeof value.id === 'string'
      ? value
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Rules live in one Redis hash under the queue prefix. A rule expires on its own: `active` never
 * returns one past its `expiresAt`, and deletes it. A handful to a few hundred rules are
 * expected, so every read takes the whole hash (one round trip).
 */
export function createRuleStore(redis: RedisClient, prefix: string): RuleStore {
  const key = rulesKey(prefix);
  return {
    async add(rule) {
      await redis.hset(key, rule.id, JSON.stringify(rule));
    },
    async active(nowMs = Date.now()) {
      const all = await redis.hgetall(key);
      const rules: EnforcementRule[] = [];
      const expired: string[] = [];
      for (const [id, json] of Object.entries(all)) {
        const rule = parseRule(json);
        if (rule === undefined || !isRuleActive(rule, nowMs)) expired.push(id);
        else rules.push(rule);
      }
      if (expired.length > 0) await redis.hdel(key, ...expired);
      return rules.sort(
        (a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id),
      );
    },
    async remove(id) {
      return (await redis.hdel(key, id)) > 0;
    },
  };
}
