// One admin client, written once under src/simulator; tests use it under this name.
export {
  createSimulatorAdmin as createSimAdmin,
  createSimulatorAdmin,
  SimulatorAdminError,
} from '../../src/simulator/index.js';
export type {
  CallLogEntry,
  FaultsView,
  SeededStream,
  SimKey,
  SimStream,
  SimulatorAdmin as SimAdmin,
  SimulatorAdmin,
  SimulatorStats,
} from '../../src/simulator/index.js';
