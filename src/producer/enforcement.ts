import type { StreamEvent } from '../notifications/agora-notification.js';
import { markSessionEnded } from '../notifications/enforcement-index.js';
import {
  ENFORCEMENT_JOB_OPTIONS,
  EVENT_JOB_NAME,
  NOTICE_DEDUP_WINDOW_S,
  SWEEP_JOB_NAME,
  eventJobId,
  seenNoticeKey,
  sweepJobId,
} from '../notifications/enforcement-queue.js';
import type { SweepJobData } from '../notifications/enforcement-queue.js';
import { createRuleStore, isRuleId, parseRuleRequest, toRuleView } from '../rules/index.js';
import type { RuleView } from '../rules/index.js';
import { execChecked, recordBatchMeta } from './batch-record.js';
import { newBatchId } from './enqueue.js';
import { ValidationError } from './errors.js';
import type { ProducerContext } from './producer-context.js';

export interface AddRuleResult {
  rule: RuleView;
  /** The batch the sweep of what is live now is recorded under (`takedown status --batch`). */
  batchId: string;
}

/**
 * Stores a validated rule and enqueues its sweep (a worker lists the live streams and takes the
 * matches down as one batch). The batch exists (empty) from this call on.
 */
export async function addRule(ctx: ProducerContext, request: unknown): Promise<AddRuleResult> {
  const parsed = parseRuleRequest(request, { defaultAppId: ctx.defaultAppId });
  if (!parsed.ok) throw new ValidationError(parsed.errors, { subject: 'rule' });
  const rule = parsed.value;
  const batchId = newBatchId();
  await createRuleStore(ctx.client, ctx.prefix).add(rule);
  const meta = ctx.client.multi();
  recordBatchMeta(ctx, meta, batchId, { submitted: 0, rejected: 0 });
  await execChecked(meta);
  const data: SweepJobData = { rule, batchId };
  await ctx.enforcement.add(SWEEP_JOB_NAME, data, {
    ...ENFORCEMENT_JOB_OPTIONS,
    jobId: sweepJobId(rule.id),
    priority: 1,
  });
  ctx.logger.info({ ruleId: rule.id, batchId }, 'enforcement rule added');
  return { rule: toRuleView(rule), batchId };
}

/** Rules in force now (expired ones are dropped), keys masked. */
export async function listRules(ctx: ProducerContext): Promise<RuleView[]> {
  return (await createRuleStore(ctx.client, ctx.prefix).active()).map(toRuleView);
}

/** False when there is no such rule. */
export async function removeRule(ctx: ProducerContext, id: unknown): Promise<boolean> {
  if (!isRuleId(id)) {
    throw new ValidationError(
      [{ field: 'ruleId', message: 'a rule id looks like r-20260101T120000Z-0123abcd' }],
      { subject: 'rule id' },
    );
  }
  const removed = await createRuleStore(ctx.client, ctx.prefix).remove(id);
  if (removed) ctx.logger.info({ ruleId: id }, 'enforcement rule removed');
  return removed;
}

/**
 * Hands one validated Agora event to the enforcement queue, once per noticeId: a redelivery
 * (Agora refreshes notifyMs on each retry) is a duplicate. If the add fails, the notice is
 * forgotten again so that Agora's retry gets through.
 */
export async function acceptNotification(
  ctx: ProducerContext,
  event: StreamEvent,
): Promise<'accepted' | 'duplicate'> {
  const seen = seenNoticeKey(ctx.prefix, event.noticeId);
  const first = await ctx.client.set(
    seen,
    String(event.receivedAt),
    'EX',
    NOTICE_DEDUP_WINDOW_S,
    'NX',
  );
  if (first === null) return 'duplicate';
  try {
    // An end event is noted at once: end events queue behind connect events, so a connect
    // delivered after its disconnect must find the session already ended.
    if (event.eventType === 2 || event.eventType === 3)
      await markSessionEnded(ctx.client, ctx.prefix, event.appId, event.sid);
    await ctx.enforcement.add(EVENT_JOB_NAME, event, {
      ...ENFORCEMENT_JOB_OPTIONS,
      jobId: eventJobId(event.noticeId),
      // Connect events (enforcement) before end events (bookkeeping).
      priority: event.eventType === 1 ? 1 : 5,
    });
  } catch (err) {
    await ctx.client.del(seen).catch(() => undefined);
    throw err;
  }
  return 'accepted';
}
