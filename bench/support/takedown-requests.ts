import type { SeededStream } from '../../src/simulator/index.js';
import type { TakedownPriority } from '../../src/jobs/index.js';
import { BENCH_REGION } from './bench-environment.js';

export interface BenchRequest {
  region: typeof BENCH_REGION;
  appId: string;
  sid: string;
  streamKey: string;
  priority?: TakedownPriority;
  reason?: string;
}

/** Key+SID takedown requests for streams the simulator seeded. */
export function requestsFor(
  streams: readonly SeededStream[],
  appId: string,
  priority?: TakedownPriority,
): BenchRequest[] {
  return streams.map((s) => ({
    region: BENCH_REGION,
    appId,
    sid: s.sid,
    streamKey: s.streamKey,
    ...(priority === undefined ? {} : { priority }),
  }));
}

/** Synthetic key+SID requests (no simulator state behind them), e.g. for enqueue-only runs. */
export function syntheticRequests(count: number, appId: string, tag: string): BenchRequest[] {
  const out: BenchRequest[] = new Array<BenchRequest>(count);
  for (let i = 0; i < count; i++) {
    out[i] = {
      region: BENCH_REGION,
      appId,
      sid: `${tag}-sid-${i.toString(36).padStart(6, '0')}`,
      streamKey: `${tag}-key-${i.toString(36).padStart(6, '0')}`,
      reason: 'policy sweep',
    };
  }
  return out;
}
