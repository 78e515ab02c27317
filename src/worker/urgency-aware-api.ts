import type { AgoraApi } from '../agora/index.js';
import { isRateLimitBusy } from './classify-error.js';

/**
 * One job's view of the API: the urgent path (waits for its rate-limit slot, never parked) once
 * the job is urgent, the normal path before. A job can become urgent while it runs (a duplicate
 * urgent request merged into it): when the limiter would park it — no slot booked, nothing sent —
 * `isUrgentNow` re-reads its priority, and an urgent job takes the urgent path from that call on.
 * Costs nothing on the normal path: the priority is read only when the limiter says busy.
 */
export function withUrgency(
  normal: AgoraApi,
  urgent: AgoraApi,
  urgentAtStart: boolean,
  isUrgentNow: () => Promise<boolean>,
): AgoraApi {
  if (normal === urgent) return normal;
  let isUrgent = urgentAtStart;

  const call = async <T>(op: (api: AgoraApi) => Promise<T>): Promise<T> => {
    if (isUrgent) return op(urgent);
    try {
      return await op(normal);
    } catch (err) {
      if (!isRateLimitBusy(err)) throw err;
      // The busy error is what the caller sees when the priority cannot be read.
      if (!(await isUrgentNow().catch(() => false))) throw err;
      isUrgent = true;
      return op(urgent);
    }
  };

  return {
    createStreamKey: (input, opts) => call((api) => api.createStreamKey(input, opts)),
    queryStreamKey: (ref, opts) => call((api) => api.queryStreamKey(ref, opts)),
    deleteStreamKey: (ref, opts) => call((api) => api.deleteStreamKey(ref, opts)),
    listOnlineStreams: (ref, opts) => call((api) => api.listOnlineStreams(ref, opts)),
    queryOnlineStream: (ref, opts) => call((api) => api.queryOnlineStream(ref, opts)),
    disconnectStream: (ref, opts) => call((api) => api.disconnectStream(ref, opts)),
  };
}
