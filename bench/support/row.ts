/** One line of the results table. `value` is this project's figure; `baseline` the same figure for the baseline. */
export interface Row {
  scenario: string;
  figure: string;
  value: number;
  unit: string;
  baseline?: { label: string; value: number };
  /** value / baseline (or the figure the target is on, e.g. achieved / limit). */
  ratio?: number;
  /** Human form of the target, e.g. "ratio ≥ 0.8"; absent = reported only. */
  target?: string;
  /** Absent when the row is informational (no target). */
  pass?: boolean;
  /** Extra measured facts, kept in latest.json. */
  details?: Record<string, unknown>;
}

export interface Target {
  on: 'ratio' | 'value';
  op: '>=' | '<=' | '<';
  limit: number;
}

export function describeTarget(t: Target): string {
  const sign = t.op === '>=' ? '≥' : t.op === '<=' ? '≤' : '<';
  return `${t.on} ${sign} ${t.limit}`;
}

export function meets(t: Target, row: Pick<Row, 'value' | 'ratio'>): boolean {
  const x = t.on === 'ratio' ? row.ratio : row.value;
  if (x === undefined || !Number.isFinite(x)) return false;
  if (t.op === '>=') return x >= t.limit;
  if (t.op === '<=') return x <= t.limit;
  return x < t.limit;
}

/** Builds a row, computing ratio (when a baseline is given and none is) and pass/fail. */
export function makeRow(input: Omit<Row, 'target' | 'pass'> & { check?: Target }): Row {
  const { check, ...rest } = input;
  const row: Row = { ...rest };
  if (row.ratio === undefined && row.baseline !== undefined && row.baseline.value !== 0) {
    row.ratio = row.value / row.baseline.value;
  }
  if (check !== undefined) {
    row.target = describeTarget(check);
    row.pass = meets(check, row);
  }
  return row;
}

/** A row for a scenario that could not run: it fails, and says why. */
export function failedRow(scenario: string, figure: string, err: unknown): Row {
  const message = err instanceof Error ? err.message : String(err);
  return {
    scenario,
    figure,
    value: Number.NaN,
    unit: '',
    target: 'scenario runs',
    pass: false,
    details: { error: message },
  };
}
