import { maskStreamKey, streamKeyFingerprint } from '../jobs/index.js';
import type { DeadLetterEntry, TakedownPayload, TakedownResult } from '../jobs/index.js';
import type { CallbackEventType } from './callback-job.js';

/**
 * The JSON body of a callback, in the Standard Webhooks shape `{type, timestamp, data}`. `data`
 * says which takedown (job id, the requester's own fields) and what happened. The stream key
 * appears masked with its fingerprint, like everywhere outside job data.
 */
export interface CallbackBody {
  type: CallbackEventType;
  timestamp: string;
  data: Record<string, unknown>;
}

function subject(jobId: string, payload: TakedownPayload): Record<string, unknown> {
  const data: Record<string, unknown> = {
    jobId,
    region: payload.region,
    appId: payload.appId,
    requestedAt: payload.requestedAt,
  };
  if (payload.sid !== undefined) data['sid'] = payload.sid;
  if (payload.streamKey !== undefined) {
    data['streamKey'] = maskStreamKey(payload.streamKey);
    data['streamKeyFingerprint'] = streamKeyFingerprint(payload.appId, payload.streamKey);
  }
  if (payload.channel !== undefined) data['channel'] = payload.channel;
  if (payload.requestedBy !== undefined) data['requestedBy'] = payload.requestedBy;
  if (payload.reason !== undefined) data['reason'] = payload.reason;
  if (payload.batchId !== undefined) data['batchId'] = payload.batchId;
  return data;
}

export function completedBody(
  jobId: string,
  payload: TakedownPayload,
  result: TakedownResult,
  at: Date,
): CallbackBody {
  return {
    type: 'takedown.completed',
    timestamp: at.toISOString(),
    data: {
      ...subject(jobId, payload),
      outcome: result.outcome,
      finishedAt: at.toISOString(),
      keyRevoked: Object.values(result.revoked).includes('deleted'),
      revoked: result.revoked,
      disconnected: result.disconnected,
      alreadyOffline: result.alreadyOffline,
      requestIds: result.requestIds,
    },
  };
}

export function deadLetteredBody(
  payload: TakedownPayload,
  entry: DeadLetterEntry,
  at: Date,
): CallbackBody {
  return {
    type: 'takedown.dead-lettered',
    timestamp: at.toISOString(),
    data: {
      ...subject(entry.jobId, payload),
      outcome: 'dead-lettered',
      failedAt: entry.failedAt,
      failedStep: entry.failedStep,
      attempts: entry.attempts,
      reason: entry.reason,
      error: entry.error,
    },
  };
}

export function confirmedBody(
  jobId: string,
  payload: TakedownPayload,
  confirmation: { at: Date; source: string; what?: string },
): CallbackBody {
  return {
    type: 'takedown.confirmed',
    timestamp: confirmation.at.toISOString(),
    data: {
      ...subject(jobId, payload),
      confirmedAt: confirmation.at.toISOString(),
      source: confirmation.source,
      ...(confirmation.what === undefined ? {} : { what: confirmation.what }),
    },
  };
}
