import type {
  CallLogEntry,
  CreateKeyInput,
  CreatedKey,
  FaultsView,
  KeyFilter,
  ResetInput,
  SeedInput,
  SeededStream,
  SimKey,
  SimStream,
  SimulatorStats,
  StartEncoderInput,
  StreamFilter,
} from './admin-types.js';
import type { NotifierPatch, NotifierView } from './notifier.js';
import type { FaultsPatch, SimulatorConfig, SimulatorLimits } from './simulator-options.js';

/** A /_sim/ call answered with a non-2xx status. */
export class SimulatorAdminError extends Error {
  override readonly name = 'SimulatorAdminError';
  readonly retryable = false;
  constructor(
    message: string,
    readonly status: number,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** Typed client for the simulator's admin API (tests, demo, benchmarks). */
export interface SimulatorAdmin {
  reset(input?: ResetInput): Promise<void>;
  seed(input: SeedInput): Promise<SeededStream[]>;
  /** Creates one key valid in several regions (each revoked on its own); pushes need encoders. */
  createKey(input: CreateKeyInput): Promise<CreatedKey>;
  /** Starts an encoder pushing on the key; resolves to its SID. */
  startEncoder(input: StartEncoderInput): Promise<string>;
  streams(filter?: StreamFilter): Promise<SimStream[]>;
  keys(filter?: KeyFilter): Promise<SimKey[]>;
  /** Call log entries with seq > since (arrival order). */
  calls(since?: number): Promise<CallLogEntry[]>;
  faults(): Promise<FaultsView>;
  setFaults(patch: FaultsPatch): Promise<FaultsView>;
  limits(): Promise<SimulatorLimits>;
  setLimits(patch: Partial<SimulatorLimits>): Promise<SimulatorLimits>;
  config(): Promise<SimulatorConfig>;
  setConfig(patch: Partial<SimulatorConfig>): Promise<SimulatorConfig>;
  stats(): Promise<SimulatorStats>;
  /** Agora Notifications settings (secret shown only as set / not set) and delivery stats. */
  notifications(): Promise<NotifierView>;
  setNotifications(patch: NotifierPatch): Promise<NotifierView>;
}

function query(params: Record<string, string | number | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined) q.set(k, String(v));
  const s = q.toString();
  return s === '' ? '' : `?${s}`;
}

/** `url` is the simulator's base URL (`Simulator.url`). */
export function createSimulatorAdmin(url: string): SimulatorAdmin {
  const base = url.replace(/\/+$/, '');

  async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const init: RequestInit = { method };
    if (body !== undefined) {
      init.body = JSON.stringify(body);
      init.headers = { 'content-type': 'application/json' };
    }
    const res = await fetch(`${base}/_sim/${path}`, init);
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch (err) {
      throw new SimulatorAdminError(`${method} /_sim/${path}: answer is not JSON`, res.status, {
        cause: err,
      });
    }
    if (!res.ok) {
      const message =
        typeof parsed === 'object' && parsed !== null && 'message' in parsed
          ? String(parsed.message)
          : text;
      throw new SimulatorAdminError(
        `${method} /_sim/${path} answered ${res.status}: ${message}`,
        res.status,
      );
    }
    return parsed as T;
  }

  return {
    async reset(input = {}) {
      await call('POST', 'reset', input);
    },
    seed: async (input) => (await call<{ streams: SeededStream[] }>('POST', 'seed', input)).streams,
    createKey: (input) => call<CreatedKey>('POST', 'keys', input),
    startEncoder: async (input) => (await call<{ sid: string }>('POST', 'encoders', input)).sid,
    streams: async (filter = {}) =>
      (await call<{ streams: SimStream[] }>('GET', `streams${query({ ...filter })}`)).streams,
    keys: async (filter = {}) =>
      (await call<{ keys: SimKey[] }>('GET', `keys${query({ ...filter })}`)).keys,
    calls: async (since = 0) =>
      (await call<{ calls: CallLogEntry[] }>('GET', `calls${query({ since })}`)).calls,
    faults: () => call<FaultsView>('GET', 'faults'),
    setFaults: (patch) => call<FaultsView>('PUT', 'faults', patch),
    limits: () => call<SimulatorLimits>('GET', 'limits'),
    setLimits: (patch) => call<SimulatorLimits>('PUT', 'limits', patch),
    config: () => call<SimulatorConfig>('GET', 'config'),
    setConfig: (patch) => call<SimulatorConfig>('PUT', 'config', patch),
    stats: () => call<SimulatorStats>('GET', 'stats'),
    notifications: () => call<NotifierView>('GET', 'notifications'),
    setNotifications: (patch) => call<NotifierView>('PUT', 'notifications', patch),
  };
}
