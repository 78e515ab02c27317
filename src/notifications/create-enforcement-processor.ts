import type { Job, Queue } from 'bullmq';
import { REGIONS } from '../agora/types.js';
import type { AgoraApi, LoggerLike, OnlineStream, Region } from '../agora/index.js';
import type { TakedownJobData, TakedownPayload, TakedownResult } from '../jobs/index.js';
import { matchRules, ruleMatches, ruleTarget } from '../rules/index.js';
import type { EnforcementRule, RuleStore } from '../rules/index.js';
import { ABORT_KEY_INVALID } from './agora-notification.js';
import type { EventLabel, StreamEvent } from './agora-notification.js';
import type { EnforcementIndex } from './enforcement-index.js';
import { EVENT_JOB_NAME, SWEEP_JOB_NAME } from './enforcement-queue.js';
import type { SweepJobData } from './enforcement-queue.js';
import { recordConfirmation } from './record-confirmation.js';
import type { ConfirmationListener } from './record-confirmation.js';

/** What one processed event led to (the `result` label of takedown_notifications_total). */
export type EventResult =
  'rule-match' | 'breach' | 'no-match' | 'stale' | 'confirmed' | 'pending' | 'no-action';

export interface EnforcementMetricsLike {
  recordNotification(event: EventLabel, result: string): void;
  recordRuleMatch(target: string, source: 'event' | 'sweep'): void;
  recordBreach(): void;
}

/** The slice of the producer enforcement enqueues through (so merges and idempotency apply). */
export interface EnforcementProducer {
  enqueue(request: unknown): Promise<{ jobId: string; status: string }>;
  enqueueMany(
    requests: readonly unknown[],
    options: { batchId: string },
  ): Promise<{ batchId: string; counts: object }>;
}

export interface EnforcementDeps {
  producer: EnforcementProducer;
  rules: RuleStore;
  index: EnforcementIndex;
  takedowns: Queue<TakedownJobData>;
  /** Rate-limited Agora API (urgent lane): key lookups through a SID, sweeps. */
  api: AgoraApi;
  logger: LoggerLike;
  metrics?: EnforcementMetricsLike;
  /** Told when a confirmation is recorded on a takedown (audit trail, callback). */
  onConfirmed?: ConfirmationListener;
}

/** Marks the takedowns this pipeline asks for (payload.requestedBy). */
export const RULE_REQUESTER = 'enforcement:rule';
export const BREACH_REQUESTER = 'enforcement:breach';

function takedownRequest(
  event: { appId: string; region: Region; sid: string; channel?: string | undefined },
  streamKey: string | undefined,
  reason: string,
  requestedBy: string,
  ruleId?: string,
): Record<string, unknown> {
  const request: Record<string, unknown> = {
    appId: event.appId,
    region: event.region,
    sid: event.sid,
    priority: 'urgent',
    reason: reason.length > 500 ? `${reason.slice(0, 499)}…` : reason,
    requestedBy,
  };
  if (streamKey !== undefined) request['streamKey'] = streamKey;
  if (event.channel !== undefined) request['channel'] = event.channel;
  if (ruleId !== undefined) request['ruleId'] = ruleId;
  return request;
}

/**
 * The processor of queue `takedown-enforcement`: what the notifications intake accepted is acted
 * on here, never in the HTTP request.
 *
 * - `live_stream_connected`: a breach (the key was revoked by a completed takedown) or an active
 *   rule (channel / uid from rtcInfo, the key when unmasked or else looked up through the SID)
 *   enqueues an urgent takedown of that SID and its key.
 * - `live_stream_disconnected`, and `live_stream_aborted` with errorCode 2 (a reconnect refused
 *   on a revoked key): recorded on the takedown that cut it, or kept until that takedown completes.
 * - `sweep`: a new rule's sweep of what is live now, enqueued as one batch.
 */
export function createEnforcementProcessor(deps: EnforcementDeps) {
  const { rules, index, logger } = deps;

  async function keyOf(event: StreamEvent): Promise<string | undefined> {
    if (event.streamKey !== undefined) return event.streamKey;
    const found = await deps.api.queryOnlineStream({
      region: event.region,
      appId: event.appId,
      sid: event.sid,
    });
    return found.result === 'found' ? found.stream.streamKey : undefined;
  }

  async function onConnected(event: StreamEvent): Promise<EventResult> {
    // Out of order: the push already ended (its disconnect came first); nothing to enforce.
    if (await index.hasEnded(event.appId, event.sid)) return 'stale';
    const active = await rules.active();
    const keyRules = active.some((r) => r.streamKey !== undefined && r.appId === event.appId);
    const needKey =
      event.streamKey === undefined && (keyRules || (await index.anyRevoked(event.appId)));
    const streamKey = needKey ? await keyOf(event) : event.streamKey;

    if (streamKey !== undefined) {
      const revokedBy = await index.takedownThatRevoked(event.appId, streamKey);
      if (revokedBy !== undefined) {
        deps.metrics?.recordBreach();
        logger.error(
          { sid: event.sid, takedown: revokedBy, noticeId: event.noticeId },
          'enforcement breach: a key revoked by a completed takedown is pushing again',
        );
        await deps.producer.enqueue(
          takedownRequest(
            event,
            streamKey,
            `enforcement breach: the key revoked by takedown ${revokedBy} is pushing again`,
            BREACH_REQUESTER,
          ),
        );
        return 'breach';
      }
    }
    const rule = matchRules(active, { ...event, streamKey });
    if (rule === undefined) return 'no-match';
    deps.metrics?.recordRuleMatch(ruleTarget(rule), 'event');
    const result = await deps.producer.enqueue(
      takedownRequest(event, streamKey, `rule ${rule.id}: ${rule.reason}`, RULE_REQUESTER, rule.id),
    );
    logger.info(
      { sid: event.sid, ruleId: rule.id, jobId: result.jobId, status: result.status },
      'enforcement rule matched a new push: urgent takedown enqueued',
    );
    return 'rule-match';
  }

  async function confirm(event: StreamEvent, jobId: string | undefined): Promise<EventResult> {
    if (jobId === undefined) return 'pending';
    const recorded = await recordConfirmation(deps.takedowns, jobId, event, deps.onConfirmed);
    if (recorded === 'recorded')
      logger.info({ jobId, noticeId: event.noticeId }, 'takedown confirmed by Agora');
    return recorded === 'missing' ? 'no-action' : 'confirmed';
  }

  async function onEnded(event: StreamEvent): Promise<EventResult> {
    await index.markEnded(event.appId, event.sid);
    const known = await index.takedownThatCut(event.appId, event.sid);
    if (known !== undefined) return confirm(event, known);
    // Its takedown may not have completed yet: keep the event, then look again, so that either
    // this side or the completion (which writes the index first) finds the other.
    await index.stashEnded(event.appId, event.sid, JSON.stringify(event));
    const late = await index.takedownThatCut(event.appId, event.sid);
    if (late === undefined) return 'pending';
    const stashed = await index.takeEnded(event.appId, event.sid);
    return stashed === undefined ? 'confirmed' : confirm(event, late);
  }

  async function onAborted(event: StreamEvent): Promise<EventResult> {
    await index.markEnded(event.appId, event.sid);
    if (event.errorCode !== ABORT_KEY_INVALID) return 'no-action';
    const jobId =
      event.streamKey !== undefined
        ? await index.takedownThatRevoked(event.appId, event.streamKey)
        : event.maskedKey !== undefined
          ? await index.takedownThatRevokedMasked(event.appId, event.maskedKey)
          : undefined;
    return jobId === undefined ? 'no-action' : confirm(event, jobId);
  }

  async function handleEvent(event: StreamEvent): Promise<EventResult> {
    switch (event.eventType) {
      case 1:
        return onConnected(event);
      case 2:
        return onEnded(event);
      case 3:
        return onAborted(event);
      case 4:
        // A profile change says nothing new about who may stream.
        return 'no-action';
    }
  }

  async function sweep(data: SweepJobData): Promise<{ batchId: string; matched: number }> {
    const { rule, batchId } = data;
    const regions: readonly Region[] = rule.region !== undefined ? [rule.region] : REGIONS;
    const requests: Record<string, unknown>[] = [];
    for (const region of regions) {
      const listed = await deps.api.listOnlineStreams({
        region,
        appId: rule.appId,
        ...(rule.channel === undefined ? {} : { channel: rule.channel }),
      });
      for (const stream of listed.streams) {
        const push = {
          appId: rule.appId,
          region,
          channel: stream.channel,
          uid: stream.uid,
          streamKey: stream.streamKey,
        };
        if (!ruleMatches(rule, push)) continue;
        deps.metrics?.recordRuleMatch(ruleTarget(rule), 'sweep');
        requests.push(sweepRequest(rule, region, stream));
      }
    }
    await deps.producer.enqueueMany(requests, { batchId });
    logger.info({ ruleId: rule.id, batchId, matched: requests.length }, 'rule sweep enqueued');
    return { batchId, matched: requests.length };
  }

  function sweepRequest(rule: EnforcementRule, region: Region, stream: OnlineStream) {
    return takedownRequest(
      { appId: rule.appId, region, sid: stream.sid, channel: stream.channel },
      stream.streamKey,
      `rule ${rule.id}: ${rule.reason}`,
      RULE_REQUESTER,
      rule.id,
    );
  }

  return async function processEnforcementJob(job: Job): Promise<unknown> {
    if (job.name === SWEEP_JOB_NAME) return sweep(job.data as SweepJobData);
    if (job.name !== EVENT_JOB_NAME) return { ignored: job.name };
    const event = job.data as StreamEvent;
    const result = await handleEvent(event);
    deps.metrics?.recordNotification(event.event, result);
    return { result };
  };
}

/**
 * What a completed takedown leaves for the enforcement pipeline: the sessions it cut and the key
 * it revoked (for confirmations and breaches), and any end event that arrived before it completed
 * recorded on it now. Called from the takedown worker's `completed` listener.
 */
export async function onTakedownCompleted(
  deps: Pick<EnforcementDeps, 'index' | 'takedowns' | 'onConfirmed'>,
  jobId: string,
  payload: TakedownPayload,
  result: TakedownResult,
): Promise<void> {
  const keyRevoked = Object.values(result.revoked).includes('deleted');
  await deps.index.recordCompleted({
    jobId,
    appId: payload.appId,
    cutSids: result.disconnected,
    revokedKey: keyRevoked ? result.streamKey : undefined,
  });
  for (const sid of result.disconnected) {
    const stashed = await deps.index.takeEnded(payload.appId, sid);
    if (stashed !== undefined) {
      await recordConfirmation(
        deps.takedowns,
        jobId,
        JSON.parse(stashed) as StreamEvent,
        deps.onConfirmed,
      );
    }
  }
}
