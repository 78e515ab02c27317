import type { JobsOptions } from 'bullmq';
import type { EnforcementRule } from '../rules/index.js';
import type { StreamEvent } from './agora-notification.js';

/**
 * Queue `takedown-enforcement`: the work the notifications intake and `rule add` hand over, done
 * by every worker process beside the takedowns — one `event` job per accepted Agora event
 * (rules, breaches, confirmations) and one `sweep` job per added rule.
 * Never renamed without a migration: the name is stored in Redis.
 */
export const ENFORCEMENT_QUEUE = 'takedown-enforcement';
export const EVENT_JOB_NAME = 'event';
export const SWEEP_JOB_NAME = 'sweep';

export interface SweepJobData {
  rule: EnforcementRule;
  /** The batch the sweep's takedowns are recorded under (reported by `rule add`). */
  batchId: string;
}

export type EnforcementJobData = StreamEvent | SweepJobData;

/** One job per Agora notice: a redelivery (even with a new notifyMs) adds nothing. */
export function eventJobId(noticeId: string): string {
  return `ncs-${noticeId}`;
}

export function sweepJobId(ruleId: string): string {
  return `sweep-${ruleId}`;
}

/** How long accepted notice ids are remembered (Agora's retries end within minutes). */
export const NOTICE_DEDUP_WINDOW_S = 24 * 3600;

export function seenNoticeKey(prefix: string, noticeId: string): string {
  return `${prefix}:ncs-seen:${noticeId}`;
}

export const ENFORCEMENT_JOB_OPTIONS: JobsOptions = {
  attempts: 8,
  backoff: { type: 'exponential', delay: 200 },
  removeOnComplete: { age: NOTICE_DEDUP_WINDOW_S },
  removeOnFail: { age: 7 * 24 * 3600 },
};
