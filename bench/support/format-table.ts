import type { Row } from './row.js';

function num(x: number | undefined, unit = ''): string {
  if (x === undefined) return '';
  if (!Number.isFinite(x)) return 'n/a';
  const abs = Math.abs(x);
  const digits = abs >= 100 ? 0 : abs >= 10 ? 1 : 2;
  const s = x.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: 0 });
  return unit === '' ? s : `${s} ${unit}`;
}

/** The results table as aligned plain text (also pastes into Markdown as a code block). */
export function formatTable(rows: readonly Row[]): string {
  const header = ['scenario', 'figure', 'value', 'baseline', 'ratio', 'target', 'result'];
  const body = rows.map((r) => [
    r.scenario,
    r.figure,
    num(r.value, r.unit),
    r.baseline === undefined ? '' : `${num(r.baseline.value, r.unit)} (${r.baseline.label})`,
    r.ratio === undefined ? '' : num(r.ratio),
    r.target ?? '',
    r.pass === undefined ? 'info' : r.pass ? 'PASS' : 'FAIL',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => (b[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join(' | ')
      .trimEnd();
  const sep = widths.map((w) => '-'.repeat(w)).join('-|-');
  const errors = rows
    .filter((r) => r.details?.['error'] !== undefined)
    .map((r) => `  ${r.scenario}: ${String(r.details?.['error'])}`);
  return [
    line(header),
    sep,
    ...body.map(line),
    ...(errors.length > 0 ? ['', 'errors:', ...errors] : []),
  ].join('\n');
}
