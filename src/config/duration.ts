const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** `250`, `250ms`, `5s`, `30m`, `2h` → milliseconds; undefined when it is none of these. */
export function parseDuration(text: string): number | undefined {
  const m = /^(\d{1,9})(ms|s|m|h)?$/.exec(text.trim());
  if (m === null) return undefined;
  return Number(m[1]) * (UNIT_MS[m[2] ?? 'ms'] as number);
}
