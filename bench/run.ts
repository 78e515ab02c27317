// `npm run bench [-- --quick] [-- --only enqueue,worker-efficiency]`: runs every scenario against a
// throw-away Redis and the in-process simulator, prints the table, writes bench/results/latest.json
// and exits 1 when a target is missed (2 on bad arguments).
import { mkdir, writeFile } from 'node:fs/promises';
import { availableParallelism, cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { SCENARIOS } from './scenarios/index.js';
import { failedRow, formatTable, round } from './support/index.js';
import type { BenchOptions, Row } from './support/index.js';

const RESULTS = join(dirname(fileURLToPath(import.meta.url)), 'results', 'latest.json');

function usage(message: string): never {
  process.stderr.write(
    `${message}\nusage: tsx bench/run.ts [--quick] [--only ${SCENARIOS.map((s) => s.name).join(',')}]\n`,
  );
  process.exit(2);
}

async function main(): Promise<number> {
  let args;
  try {
    args = parseArgs({
      options: { quick: { type: 'boolean', default: false }, only: { type: 'string' } },
      allowPositionals: false,
    });
  } catch (err) {
    usage((err as Error).message);
  }
  const names = SCENARIOS.map((s) => s.name);
  const only = args.values.only
    ?.split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  for (const name of only ?? []) {
    if (!names.includes(name))
      usage(`--only: unknown scenario "${name}"; known: ${names.join(', ')}`);
  }
  const started = Date.now();
  const opts: BenchOptions = {
    quick: args.values.quick,
    log: (message) => {
      const t = ((Date.now() - started) / 1000).toFixed(1).padStart(6);
      process.stderr.write(`[${t}s] ${message}\n`);
    },
  };

  const rows: Row[] = [];
  const timings: Record<string, number> = {};
  for (const scenario of SCENARIOS) {
    if (only !== undefined && !only.includes(scenario.name)) continue;
    const t0 = Date.now();
    opts.log(`── ${scenario.title}`);
    try {
      rows.push(...(await scenario.run(opts)));
    } catch (err) {
      opts.log(`${scenario.title} failed: ${(err as Error).stack ?? String(err)}`);
      rows.push(failedRow(scenario.title, 'scenario', err));
    }
    timings[scenario.name] = round((Date.now() - t0) / 1000, 1);
  }

  const failed = rows.filter((r) => r.pass === false);
  process.stdout.write(`\n${formatTable(rows)}\n`);
  process.stdout.write(
    failed.length === 0
      ? `\nall ${rows.filter((r) => r.pass === true).length} targets met (${opts.quick ? 'quick' : 'full'} run, ${round((Date.now() - started) / 1000, 1)} s)\n`
      : `\n${failed.length} target(s) missed: ${failed.map((r) => `${r.scenario} / ${r.figure}`).join('; ')}\n`,
  );

  await mkdir(dirname(RESULTS), { recursive: true });
  const report = {
    mode: opts.quick ? 'quick' : 'full',
    startedAt: new Date(started).toISOString(),
    durationS: round((Date.now() - started) / 1000, 1),
    machine: {
      node: process.version,
      cpus: availableParallelism(),
      cpuModel: cpus()[0]?.model ?? 'unknown',
      platform: `${process.platform}-${process.arch}`,
    },
    scenarioDurationsS: timings,
    passed: failed.length === 0,
    rows: rows.map((r) => ({
      ...r,
      value: round(r.value, 3),
      ...(r.ratio === undefined ? {} : { ratio: round(r.ratio, 3) }),
      ...(r.baseline === undefined
        ? {}
        : { baseline: { ...r.baseline, value: round(r.baseline.value, 3) } }),
    })),
  };
  await writeFile(RESULTS, `${JSON.stringify(report, null, 2)}\n`);
  process.stdout.write(`results: ${RESULTS}\n`);
  return failed.length === 0 ? 0 : 1;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`bench crashed: ${(err as Error).stack ?? String(err)}\n`);
    process.exitCode = 1;
  },
);
