import type { CliContext } from './context.js';

/** One JSON document and a newline on stdout (indented on a terminal, one line in a pipe). */
export function printJson(ctx: Pick<CliContext, 'stdout' | 'isTTY'>, value: unknown): void {
  ctx.stdout.write(`${JSON.stringify(value, null, ctx.isTTY ? 2 : undefined)}\n`);
}

/** Human text: each line on stdout. */
export function printLines(ctx: Pick<CliContext, 'stdout'>, lines: Iterable<string>): void {
  for (const line of lines) ctx.stdout.write(`${line}\n`);
}

/** `takedown: <message>` on stderr, on one line (warnings and errors alike). */
export function printError(ctx: Pick<CliContext, 'stderr'>, message: string): void {
  ctx.stderr.write(`takedown: ${message.replace(/\s*\n\s*/g, ' ').trim()}\n`);
}

/** Left-aligned columns separated by two spaces; returns the lines (header first). */
export function formatTable(
  header: readonly string[],
  rows: readonly (readonly string[])[],
): string[] {
  const all = [header, ...rows];
  const widths = header.map((_, col) => Math.max(...all.map((row) => (row[col] ?? '').length)));
  return all.map((row) =>
    widths
      .map((width, col) => (row[col] ?? '').padEnd(width))
      .join('  ')
      .trimEnd(),
  );
}
