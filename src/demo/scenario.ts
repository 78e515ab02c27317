import { setTimeout as sleep } from 'node:timers/promises';
import type { AgoraApi, Region } from '../agora/index.js';
import type { TakedownPayload, TakedownRequest } from '../jobs/index.js';
import type { SeededStream, SimulatorAdmin } from '../simulator/index.js';
import type { DemoRole } from './demo-state.js';

/** The demo's own App ID and region on the in-process simulator (no real account involved). */
export const DEMO_APP_ID = 'demo0000takedown0000app000000001';
export const DEMO_REGION: Region = 'na';

/** What the one permanent failure answers: a key that belongs to another App ID (Agora's text). */
export const DLQ_STATUS = 403;
export const DLQ_MESSAGE = 'Stream does not belong to this app ID.';

export interface ScenarioOptions {
  admin: SimulatorAdmin;
  /** Plain client on the simulator, for what happens outside the worker (a manual cut). */
  agora: AgoraApi;
  batchSize: number;
  /** How many of the batch's encoders reconnect after a force-disconnect (like OBS does). */
  reconnectingInBatch: number;
  reconnectDelayMs: number;
  signal?: AbortSignal;
}

/** What a manual disconnect without revoking the key did: the encoder came straight back. */
export interface NaiveCut {
  cutSid: string;
  /** The SID the encoder reconnected with; undefined if it did not come back in time. */
  newSid: string | undefined;
  backAfterMs: number;
}

/** The live streams of each use case, and which use case a job's payload belongs to. */
export interface DemoCast {
  batch: SeededStream[];
  /** Cut by hand first (NaiveCut), so its encoder is live again under a new SID. */
  urgent: SeededStream;
  naive: NaiveCut;
  expiry: SeededStream;
  /** Its session has ended before the takedown asks for it. */
  offline: SeededStream;
  /** Deleting this key answers 403: the takedown fails for good. */
  dlq: SeededStream;
  reconnecting: number;
  roleOf(payload: Pick<TakedownPayload, 'sid' | 'streamKey'>): DemoRole | undefined;
}

function only(streams: SeededStream[]): SeededStream {
  const [first] = streams;
  if (first === undefined) throw new Error('the simulator seeded no stream');
  return first;
}

/**
 * Fills the simulator: live encoders for every use case (most reconnect after a cut), one
 * stream whose session is already over, and a fault rule that makes one key's delete fail with
 * 403. Also shows why the order matters: one stream is cut without revoking its key and comes
 * back under a new SID.
 */
export async function setUpScenario(options: ScenarioOptions): Promise<DemoCast> {
  const { admin, agora, signal } = options;
  const base = { appId: DEMO_APP_ID, region: DEMO_REGION };
  const batch = [
    ...(await admin.seed({ ...base, count: options.reconnectingInBatch, reconnect: true })),
    ...(options.batchSize > options.reconnectingInBatch
      ? await admin.seed({
          ...base,
          count: options.batchSize - options.reconnectingInBatch,
          reconnect: false,
        })
      : []),
  ];
  const [urgent, expiry, dlq] = await admin.seed({ ...base, count: 3, reconnect: true });
  if (urgent === undefined || expiry === undefined || dlq === undefined) {
    throw new Error('the simulator seeded fewer streams than asked');
  }
  const offline = only(await admin.seed({ ...base, count: 1, reconnect: false }));

  // The streamer ended this session (no reconnect): a takedown naming its SID finds nothing.
  await agora.disconnectStream({ ...base, sid: offline.sid }, signal ? { signal } : {});
  await admin.setFaults({
    rules: [
      { op: 'delete-key', streamKey: dlq.streamKey, status: DLQ_STATUS, message: DLQ_MESSAGE },
    ],
  });
  const naive = await cutWithoutRevoking(options, urgent);

  const byKey = new Map<string, DemoRole>([
    ...batch.map((s) => [s.streamKey, 'batch'] as const),
    [urgent.streamKey, 'urgent'],
    [expiry.streamKey, 'expiry'],
    [dlq.streamKey, 'dlq'],
  ]);
  return {
    batch,
    urgent,
    naive,
    expiry,
    offline,
    dlq,
    reconnecting: options.reconnectingInBatch + 3,
    roleOf: (payload) =>
      payload.streamKey !== undefined
        ? byKey.get(payload.streamKey)
        : payload.sid === offline.sid
          ? 'offline'
          : undefined,
  };
}

/** The mistake the worker exists to prevent: disconnect first, and the encoder just reconnects. */
async function cutWithoutRevoking(
  options: ScenarioOptions,
  stream: SeededStream,
): Promise<NaiveCut> {
  const { admin, agora, signal } = options;
  const started = Date.now();
  await agora.disconnectStream(
    { appId: DEMO_APP_ID, region: DEMO_REGION, sid: stream.sid },
    signal ? { signal } : {},
  );
  const deadline = started + options.reconnectDelayMs * 5 + 500;
  while (Date.now() < deadline) {
    const [live] = await admin.streams({ streamKey: stream.streamKey });
    if (live !== undefined && live.sid !== stream.sid) {
      return { cutSid: stream.sid, newSid: live.sid, backAfterMs: Date.now() - started };
    }
    await sleep(20, undefined, signal ? { signal } : {});
  }
  return { cutSid: stream.sid, newSid: undefined, backAfterMs: Date.now() - started };
}

/** The 200 takedowns of the sweep, by key, at the lowest priority. */
export function batchRequests(cast: DemoCast): TakedownRequest[] {
  return cast.batch.map((s) => ({
    region: DEMO_REGION,
    appId: DEMO_APP_ID,
    streamKey: s.streamKey,
    channel: s.channel,
    reason: 'policy sweep',
    requestedBy: 'takedown demo',
    priority: 'bulk',
  }));
}

export function urgentRequest(cast: DemoCast): TakedownRequest {
  return {
    region: DEMO_REGION,
    appId: DEMO_APP_ID,
    streamKey: cast.urgent.streamKey,
    channel: cast.urgent.channel,
    reason: 'moderation decision',
    requestedBy: 'takedown demo',
    priority: 'urgent',
  };
}

export function expiryRequest(cast: DemoCast): TakedownRequest {
  return {
    region: DEMO_REGION,
    appId: DEMO_APP_ID,
    streamKey: cast.expiry.streamKey,
    reason: 'booked time is over',
    requestedBy: 'takedown demo',
  };
}

/** By SID only: the worker must find out by itself that the session is gone. */
export function offlineRequest(cast: DemoCast): TakedownRequest {
  return {
    region: DEMO_REGION,
    appId: DEMO_APP_ID,
    sid: cast.offline.sid,
    reason: 'report on a stream that has since ended',
    requestedBy: 'takedown demo',
  };
}

export function dlqRequest(cast: DemoCast): TakedownRequest {
  return {
    region: DEMO_REGION,
    appId: DEMO_APP_ID,
    streamKey: cast.dlq.streamKey,
    reason: 'report with a key from another App ID',
    requestedBy: 'takedown demo',
  };
}

/** Every key the demo expects to be taken down (the DLQ's is not: its takedown failed). */
export function takenDownKeys(cast: DemoCast): string[] {
  return [...cast.batch.map((s) => s.streamKey), cast.urgent.streamKey, cast.expiry.streamKey];
}
