export { createSimulator } from './simulator.js';
export type { Simulator } from './simulator.js';
export { createSimulatorAdmin, SimulatorAdminError } from './simulator-admin.js';
export type { SimulatorAdmin } from './simulator-admin.js';
export { SimulatorInputError, resolveSimulatorOptions } from './simulator-options.js';
export type {
  FaultRule,
  FaultsPatch,
  SidQueryShape,
  SimulatorConfig,
  SimulatorFaults,
  SimulatorLimits,
  SimulatorLogger,
  SimulatorOptions,
} from './simulator-options.js';
export type {
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
export { maskAgoraKey } from './notifier.js';
export type { NotifierPatch, NotifierStats, NotifierView } from './notifier.js';
