/**
 * A strict parser for the Prometheus text exposition format (0.0.4), for tests: it throws, naming
 * the line, on anything a Prometheus server would reject, and checks histogram consistency
 * (cumulative buckets, +Inf bucket = _count).
 */

export type MetricType = 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface MetricFamily {
  name: string;
  type: MetricType;
  help: string;
  samples: Sample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES: readonly string[] = ['counter', 'gauge', 'histogram', 'summary', 'untyped'];

function parseValue(raw: string, lineNo: number): number {
  // Prometheus parses values with Go's strconv.ParseFloat: NaN and Inf in any letter case.
  const lower = raw.toLowerCase();
  if (lower === 'nan') return Number.NaN;
  if (lower === '+inf' || lower === 'inf') return Number.POSITIVE_INFINITY;
  if (lower === '-inf') return Number.NEGATIVE_INFINITY;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(raw))
    throw new Error(`line ${lineNo}: bad value ${JSON.stringify(raw)}`);
  return Number(raw);
}

function parseLabels(
  text: string,
  lineNo: number,
): { labels: Record<string, string>; rest: string } {
  const labels: Record<string, string> = {};
  let i = 0;
  for (;;) {
    while (text[i] === ' ') i++;
    if (text[i] === '}') return { labels, rest: text.slice(i + 1) };
    const eq = text.indexOf('=', i);
    if (eq === -1) throw new Error(`line ${lineNo}: label without '='`);
    const name = text.slice(i, eq).trim();
    if (!LABEL_NAME.test(name))
      throw new Error(`line ${lineNo}: bad label name ${JSON.stringify(name)}`);
    if (Object.hasOwn(labels, name)) throw new Error(`line ${lineNo}: duplicate label ${name}`);
    i = eq + 1;
    if (text[i] !== '"') throw new Error(`line ${lineNo}: label value must be quoted`);
    i++;
    let value = '';
    for (;;) {
      const ch = text[i];
      if (ch === undefined) throw new Error(`line ${lineNo}: unterminated label value`);
      if (ch === '"') break;
      if (ch === '\\') {
        const next = text[i + 1];
        if (next === 'n') value += '\n';
        else if (next === '\\' || next === '"') value += next;
        else throw new Error(`line ${lineNo}: bad escape \\${next ?? ''}`);
        i += 2;
        continue;
      }
      if (ch === '\n') throw new Error(`line ${lineNo}: raw newline in label value`);
      value += ch;
      i++;
    }
    labels[name] = value;
    i++;
    while (text[i] === ' ') i++;
    if (text[i] === ',') {
      i++;
      continue;
    }
    if (text[i] === '}') return { labels, rest: text.slice(i + 1) };
    throw new Error(`line ${lineNo}: expected ',' or '}' in labels`);
  }
}

/** The family a sample belongs to: histogram/summary samples carry suffixes. */
function familyOf(
  sampleName: string,
  families: Map<string, MetricFamily>,
): MetricFamily | undefined {
  const direct = families.get(sampleName);
  if (direct) return direct;
  for (const suffix of ['_bucket', '_sum', '_count']) {
    if (sampleName.endsWith(suffix)) {
      const base = families.get(sampleName.slice(0, -suffix.length));
      if (base && (base.type === 'histogram' || base.type === 'summary')) return base;
    }
  }
  return undefined;
}

function checkHistogram(family: MetricFamily): void {
  const series = new Map<string, { buckets: [number, number][]; count?: number }>();
  const keyOf = (labels: Record<string, string>): string =>
    JSON.stringify(
      Object.entries(labels)
        .filter(([k]) => k !== 'le')
        .sort(([a], [b]) => a.localeCompare(b)),
    );
  for (const s of family.samples) {
    const key = keyOf(s.labels);
    const entry = series.get(key) ?? { buckets: [] };
    series.set(key, entry);
    if (s.name === `${family.name}_bucket`) {
      const le = s.labels.le;
      if (le === undefined) throw new Error(`${family.name}: bucket without le`);
      entry.buckets.push([parseValue(le, 0), s.value]);
    } else if (s.name === `${family.name}_count`) {
      entry.count = s.value;
    }
  }
  for (const [key, { buckets, count }] of series) {
    const last = buckets.at(-1);
    if (!last || last[0] !== Number.POSITIVE_INFINITY)
      throw new Error(`${family.name}${key}: no +Inf bucket`);
    for (let i = 1; i < buckets.length; i++) {
      const prev = buckets[i - 1];
      const cur = buckets[i];
      if (prev && cur && (cur[0] <= prev[0] || cur[1] < prev[1])) {
        throw new Error(`${family.name}${key}: buckets not sorted/cumulative`);
      }
    }
    if (count !== last[1])
      throw new Error(`${family.name}${key}: _count ${count} != +Inf bucket ${last[1]}`);
  }
}

export function parsePrometheusText(text: string): Map<string, MetricFamily> {
  const families = new Map<string, MetricFamily>();
  const helps = new Map<string, string>();
  const seen = new Set<string>();
  const lines = text.split('\n');
  if (text.length > 0 && !text.endsWith('\n'))
    throw new Error('exposition must end with a newline');
  lines.forEach((line, idx) => {
    const lineNo = idx + 1;
    if (line.trim() === '') return;
    if (line.startsWith('#')) {
      const m = /^# (HELP|TYPE) (\S+)(?: (.*))?$/.exec(line);
      if (!m) return; // other comments are allowed
      const [, kind, name = '', rest = ''] = m;
      if (!NAME.test(name))
        throw new Error(`line ${lineNo}: bad metric name ${JSON.stringify(name)}`);
      if (kind === 'HELP') {
        if (helps.has(name)) throw new Error(`line ${lineNo}: second HELP for ${name}`);
        helps.set(name, rest);
        const fam = families.get(name);
        if (fam) fam.help = rest;
        return;
      }
      if (!TYPES.includes(rest))
        throw new Error(`line ${lineNo}: bad type ${JSON.stringify(rest)}`);
      if (families.has(name)) throw new Error(`line ${lineNo}: second TYPE for ${name}`);
      families.set(name, {
        name,
        type: rest as MetricType,
        help: helps.get(name) ?? '',
        samples: [],
      });
      return;
    }
    const nameMatch = /^([a-zA-Z_:][a-zA-Z0-9_:]*)/.exec(line);
    if (!nameMatch?.[1]) throw new Error(`line ${lineNo}: bad sample line ${JSON.stringify(line)}`);
    const name = nameMatch[1];
    let rest = line.slice(name.length);
    let labels: Record<string, string> = {};
    if (rest.startsWith('{')) ({ labels, rest } = parseLabels(rest.slice(1), lineNo));
    const parts = rest.trim().split(/ +/);
    if (parts.length < 1 || parts.length > 2 || parts[0] === '')
      throw new Error(`line ${lineNo}: expected "value [timestamp]"`);
    const value = parseValue(parts[0] ?? '', lineNo);
    if (parts[1] !== undefined && !/^-?\d+$/.test(parts[1]))
      throw new Error(`line ${lineNo}: bad timestamp`);
    const family = familyOf(name, families);
    if (!family) throw new Error(`line ${lineNo}: sample ${name} has no preceding # TYPE`);
    const seriesKey = `${name}${JSON.stringify(Object.entries(labels).sort(([a], [b]) => a.localeCompare(b)))}`;
    if (seen.has(seriesKey)) throw new Error(`line ${lineNo}: duplicate series ${seriesKey}`);
    seen.add(seriesKey);
    family.samples.push({ name, labels, value });
  });
  for (const family of families.values()) if (family.type === 'histogram') checkHistogram(family);
  return families;
}

/** The value of one sample, or undefined when there is no such series. */
export function sampleValue(
  families: Map<string, MetricFamily>,
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  for (const family of families.values()) {
    for (const s of family.samples) {
      if (s.name !== name) continue;
      const keys = Object.keys(labels);
      // Exact label set: a histogram bucket needs its `le` given.
      if (
        keys.length === Object.keys(s.labels).length &&
        keys.every((k) => s.labels[k] === labels[k])
      )
        return s.value;
    }
  }
  return undefined;
}
