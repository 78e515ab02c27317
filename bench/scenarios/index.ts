// The benchmark scenarios, in run order (issue 6, "Benchmarks").
import { run as audit } from './audit.js';
import { run as crashRecovery } from './crash-recovery.js';
import { run as defaultsThroughput } from './defaults-throughput.js';
import { run as enforcement } from './enforcement.js';
import { run as enqueue } from './enqueue.js';
import { run as rateLimit } from './rate-limit.js';
import { run as reconcilerCost } from './reconciler-cost.js';
import { run as shardCapacity } from './shard-capacity.js';
import { run as steadyMemory } from './steady-memory.js';
import { run as urgentDuplicate } from './urgent-duplicate.js';
import { run as urgentLatency } from './urgent-latency.js';
import { run as urgentTimeToCut } from './urgent-time-to-cut.js';
import { run as workerEfficiency } from './worker-efficiency.js';
import type { BenchOptions, Row } from '../support/index.js';

export interface Scenario {
  /** For --only. */
  name: string;
  title: string;
  run(opts: BenchOptions): Promise<Row[]>;
}

export const SCENARIOS: readonly Scenario[] = [
  { name: 'enqueue', title: '1 enqueue', run: enqueue },
  { name: 'worker-efficiency', title: '2 worker efficiency', run: workerEfficiency },
  { name: 'rate-limit', title: '3 rate-limit saturation', run: rateLimit },
  { name: 'urgent-latency', title: '4 urgent latency', run: urgentLatency },
  { name: 'steady-memory', title: '5 steady memory', run: steadyMemory },
  {
    name: 'urgent-duplicate',
    title: '6 urgent duplicate of a queued bulk SID',
    run: urgentDuplicate,
  },
  { name: 'defaults-throughput', title: '7 one worker at the defaults', run: defaultsThroughput },
  { name: 'urgent-time-to-cut', title: '8 urgent time-to-cut', run: urgentTimeToCut },
  { name: 'crash-recovery', title: '9 crash recovery', run: crashRecovery },
  { name: 'shard-capacity', title: '10 one Redis Cluster shard', run: shardCapacity },
  { name: 'enforcement', title: '11 enforcement', run: enforcement },
  { name: 'reconciler-cost', title: '12 reconciler cost', run: reconcilerCost },
  { name: 'audit', title: '13 audit trail', run: audit },
];
