import type { Region } from '../agora/types.js';
import type { CallLogEntry } from './call-log.js';
import type { SidQueryShape, SimulatorFaults, SimulatorLimits } from './simulator-options.js';

/** A live stream as GET /_sim/streams reports it. */
export interface SimStream {
  sid: string;
  appId: string;
  region: Region;
  streamKey: string;
  channel: string;
  uid: string;
  url: string;
  /** Epoch ms. */
  startedAt: number;
}

/** A key as GET /_sim/keys reports it (revoked keys stay listed; the API answers 404 for them). */
export interface SimKey {
  appId: string;
  region: Region;
  streamKey: string;
  channel: string;
  uid: string;
  expiresAfter: number;
  /** Unix seconds as a string, as the API answers it. */
  createdAt: string;
  revoked: boolean;
  expired: boolean;
}

export interface StartEncoderInput {
  appId: string;
  region: Region;
  streamKey: string;
  /** Reconnect after a force-disconnect while the key is valid. @defaultValue true */
  reconnect?: boolean;
}

/** POST /_sim/keys: one key valid in several regions (a script-generated key). */
export interface CreateKeyInput {
  appId: string;
  regions: Region[];
  /** @defaultValue a fresh channel name */
  channel?: string;
  /** @defaultValue a fresh UID */
  uid?: string;
  /** @defaultValue 0 (never expires) */
  expiresAfter?: number;
}

export interface CreatedKey {
  streamKey: string;
  regions: Region[];
  channel: string;
  uid: string;
}

export interface SeedInput {
  appId: string;
  region: Region;
  count: number;
  /** All streams in this channel (distinct UIDs); absent = a distinct channel per stream. */
  channel?: string;
  /** @defaultValue true */
  reconnect?: boolean;
  /** @defaultValue 0 (never expires) */
  expiresAfter?: number;
}

export interface SeededStream {
  streamKey: string;
  sid: string;
  channel: string;
  uid: string;
}

export interface StreamFilter {
  appId?: string;
  region?: Region;
  streamKey?: string;
  channel?: string;
}

export interface KeyFilter {
  appId?: string;
  region?: Region;
}

export interface ResetInput extends Partial<SimulatorLimits> {
  reconnectDelayMs?: number;
  sidQueryShape?: SidQueryShape;
}

export interface SimulatorStats {
  liveStreams: number;
  /** Keys not revoked (expired ones included). */
  keys: number;
  revokedKeys: number;
  encoders: number;
  pendingReconnects: number;
  reconnects: number;
  refusedReconnects: number;
  /** API calls since the last reset. */
  calls: number;
  /** Requests held unanswered by the timeout fault. */
  timeouts: number;
  /** Answered API calls by HTTP status. */
  byStatus: Record<string, number>;
}

/** GET /_sim/faults: the faults plus how long an outage still lasts. */
export interface FaultsView extends SimulatorFaults {
  outageRemainingMs: number;
}

export type { CallLogEntry };
