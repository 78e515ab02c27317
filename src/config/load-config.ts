import { accessSync, constants, readFileSync, statSync } from 'node:fs';
import convict from 'convict';
import { ConfigError, type ConfigProblem } from './config-error.js';
import { FORMATS, registerFormats } from './formats.js';
import { hashTagOf } from './hash-tag.js';
import { redactConfig } from './redact-config.js';
import { CONFIG_KEYS, convictSchema, type ConfigKeySpec } from './schema.js';
import type { ResolvedConfig } from './types.js';

export interface LoadConfigOptions {
  /** Defaults to process.env (config is the one module that reads it). */
  env?: NodeJS.ProcessEnv;
  /** Command-line words; only `--config FILE` / `--config=FILE` is looked at. */
  argv?: readonly string[];
  /** A JSON config file; wins over `--config` in argv, which wins over TAKEDOWN_CONFIG. */
  file?: string;
}

const LEAF_KEYS = new Set(CONFIG_KEYS.map((s) => s.key));
const GROUP_KEYS = new Set(
  CONFIG_KEYS.flatMap((s) => {
    const parts = s.key.split('.');
    return parts.slice(0, -1).map((_, i) => parts.slice(0, i + 1).join('.'));
  }),
);

/**
 * Reads env (and a JSON file when given), validates strictly and returns a frozen config.
 * Env vars win over the file. Throws ConfigError naming every bad or unknown key.
 */
export function loadConfig(options: LoadConfigOptions = {}): ResolvedConfig {
  const env = options.env ?? process.env;
  const file =
    options.file ?? configFileFromArgv(options.argv ?? []) ?? nonEmpty(env['TAKEDOWN_CONFIG']);

  registerFormats();
  // args: [] — convict would otherwise parse process.argv itself.
  const conf = convict(convictSchema(), { env, args: [] });

  const problems: ConfigProblem[] = [];
  if (file !== undefined) {
    const contents = readConfigFile(file);
    problems.push(...unknownKeys(contents, file));
    conf.load(contents);
  }
  const structural = problems.length > 0;

  const values = new Map<string, unknown>();
  for (const spec of CONFIG_KEYS) {
    let value: unknown;
    try {
      value = conf.get(spec.key);
    } catch {
      // A parent replaced by a scalar in the file; already reported by unknownKeys.
      if (!structural) problems.push(problem(spec, 'is missing'));
      continue;
    }
    values.set(spec.key, value);
    const format = FORMATS[spec.format];
    const detail = format.check(value);
    if (detail !== undefined) {
      problems.push(
        problem(spec, `${detail || describeValue(spec, value)}, allowed: ${format.allowed}`),
      );
    }
  }
  if (problems.length === 0) problems.push(...crossFieldProblems(values));

  if (problems.length === 0) {
    try {
      conf.validate({ allowed: 'strict' });
    } catch {
      // Our checks mirror the schema, so this is a backstop. Convict's message carries values
      // (secrets included), so it is neither shown nor kept as the cause.
      problems.push({ message: 'the configuration does not match the schema' });
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);

  return deepFreeze(withRedactedViews(conf.getProperties() as unknown as ResolvedConfig));
}

/**
 * `String(config)` and `JSON.stringify(config)` (also of a group holding a secret) give the
 * redacted form, so a config printed or logged whole leaks nothing. Non-enumerable: the shape
 * and spreads are unchanged.
 */
function withRedactedViews(config: ResolvedConfig): ResolvedConfig {
  const view = (target: object, redacted: () => unknown): void => {
    Object.defineProperty(target, 'toJSON', { value: redacted });
    Object.defineProperty(target, 'toString', { value: () => JSON.stringify(redacted()) });
  };
  view(config, () => redactConfig(config));
  for (const group of ['redis', 'agora', 'dashboard', 'intake', 'callbacks', 'ncs'] as const) {
    view(config[group], () => redactConfig(config)[group]);
  }
  return config;
}

function problem(spec: ConfigKeySpec, text: string): ConfigProblem {
  return { key: spec.key, env: spec.env, message: `${spec.env} (${spec.key}) ${text}` };
}

function describeValue(spec: ConfigKeySpec, value: unknown): string {
  if (spec.sensitive === true) return 'has an invalid value (not shown: sensitive)';
  const shown = JSON.stringify(value) ?? String(value);
  return `got ${shown.length > 60 ? `${shown.slice(0, 57)}...` : shown}`;
}

function crossFieldProblems(values: ReadonlyMap<string, unknown>): ConfigProblem[] {
  const found: ConfigProblem[] = [];
  const spec = (key: string): ConfigKeySpec =>
    CONFIG_KEYS.find((s) => s.key === key) as ConfigKeySpec;
  const pairs: [string, string][] = [
    ['agora.customerId', 'agora.customerSecret'],
    ['dashboard.user', 'dashboard.password'],
  ];
  for (const [a, b] of pairs) {
    const hasA = values.get(a) !== undefined;
    const hasB = values.get(b) !== undefined;
    if (hasA !== hasB) {
      const [missing, present] = hasA ? [spec(b), spec(a)] : [spec(a), spec(b)];
      found.push(
        problem(missing, `is missing, allowed: set it together with ${present.env}, or unset both`),
      );
    }
  }
  found.push(...redisProblems(values, spec));
  const base = values.get('takedown.backoffMs') as number;
  const max = values.get('takedown.backoffMaxMs') as number;
  if (max < base) {
    found.push(
      problem(
        spec('takedown.backoffMaxMs'),
        `is below TAKEDOWN_BACKOFF_MS, allowed: a value >= ${base}`,
      ),
    );
  }
  return found;
}

/** The Redis mode is chosen by which of these is set; more than one is a mistake. */
function redisProblems(
  values: ReadonlyMap<string, unknown>,
  spec: (key: string) => ConfigKeySpec,
): ConfigProblem[] {
  const found: ConfigProblem[] = [];
  const url = values.get('redis.url') as string;
  const clusterNodes = values.get('redis.clusterNodes') as readonly string[];
  const sentinels = values.get('redis.sentinels') as readonly string[];
  const modes = [
    url !== spec('redis.url').default ? 'REDIS_URL' : undefined,
    clusterNodes.length > 0 ? 'REDIS_CLUSTER_NODES' : undefined,
    sentinels.length > 0 ? 'REDIS_SENTINELS' : undefined,
  ].filter((m) => m !== undefined);
  if (modes.length > 1) {
    found.push({
      key: 'redis',
      message: `${modes.slice(0, -1).join(', ')} and ${modes.at(-1)} are ${modes.length === 2 ? 'both' : 'all'} set, but each selects a Redis mode (REDIS_URL a single server, REDIS_CLUSTER_NODES Redis Cluster, REDIS_SENTINELS Sentinel), allowed: set only one of them`,
    });
    return found;
  }
  const prefix = values.get('prefix') as string;
  if (clusterNodes.length > 0 && hashTagOf(prefix) === undefined) {
    found.push(
      problem(
        spec('prefix'),
        `has no {hash tag}, allowed on Redis Cluster: a prefix with a non-empty {…} part such as {${prefix.replace(/[{}]/g, '') || 'takedown'}}. BullMQ runs multi-key Lua scripts over a queue's keys, and Redis Cluster allows them only when all keys hash to one slot, which only a hash tag guarantees`,
      ),
    );
  }
  if (sentinels.length === 0 && values.get('redis.sentinelPassword') !== undefined) {
    found.push(
      problem(
        spec('redis.sentinelPassword'),
        'is set without REDIS_SENTINELS, allowed: only together with REDIS_SENTINELS',
      ),
    );
  }
  const single = clusterNodes.length === 0 && sentinels.length === 0;
  let inUrl: URL | undefined;
  try {
    inUrl = new URL(url);
  } catch {
    inUrl = undefined; // reported by the URL format already
  }
  if (single && inUrl !== undefined) {
    if (inUrl.password !== '' && values.get('redis.password') !== undefined) {
      found.push(
        problem(
          spec('redis.password'),
          'is set and REDIS_URL carries a password too, allowed: one of the two',
        ),
      );
    }
    if (inUrl.username !== '' && values.get('redis.username') !== undefined) {
      found.push(
        problem(
          spec('redis.username'),
          'is set and REDIS_URL names a user too, allowed: one of the two',
        ),
      );
    }
  }
  const caFile = values.get('redis.tlsCaFile') as string | undefined;
  if (caFile !== undefined) {
    const tlsOn = values.get('redis.tls') === true || (single && inUrl?.protocol === 'rediss:');
    if (!tlsOn) {
      found.push(
        problem(
          spec('redis.tlsCaFile'),
          'is set but TLS is off, allowed: together with REDIS_TLS=true (or a rediss:// REDIS_URL)',
        ),
      );
    } else if (!isReadableFile(caFile)) {
      found.push(
        problem(
          spec('redis.tlsCaFile'),
          `names ${JSON.stringify(caFile)}, which is not a readable file, allowed: a PEM file`,
        ),
      );
    }
  }
  return found;
}

function isReadableFile(path: string): boolean {
  try {
    accessSync(path, constants.R_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

function configFileFromArgv(argv: readonly string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i] as string;
    if (word === '--') break;
    if (word === '--config' || word.startsWith('--config=')) {
      const file = word === '--config' ? argv[i + 1] : word.slice('--config='.length);
      if (file === undefined || file === '' || file.startsWith('-')) {
        throw new ConfigError([{ message: '--config needs a FILE argument (a JSON file)' }]);
      }
      return file;
    }
  }
  return undefined;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value;
}

function readConfigFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? 'does not exist'
        : code === 'EISDIR'
          ? 'is a directory'
          : `cannot be read (${code ?? 'error'})`;
    throw new ConfigError([{ message: `config file ${JSON.stringify(file)} ${why}` }], {
      cause: err,
    });
  }
  text = text.replace(/^\uFEFF/, '');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    // V8's message quotes the file's text, which may hold a secret: report only where.
    const at = /position (\d+)/.exec((err as Error).message)?.[1];
    const where = at === undefined ? '' : ` (${lineAndColumn(text, Number(at))})`;
    throw new ConfigError([
      { message: `config file ${JSON.stringify(file)} is not valid JSON${where}` },
    ]);
  }
  if (!isPlainObject(parsed)) {
    throw new ConfigError([
      { message: `config file ${JSON.stringify(file)} must hold a JSON object of settings` },
    ]);
  }
  return parsed;
}

function lineAndColumn(text: string, position: number): string {
  const before = text.slice(0, position).split('\n');
  return `line ${before.length}, column ${(before.at(-1)?.length ?? 0) + 1}`;
}

function unknownKeys(object: Record<string, unknown>, file: string, prefix = ''): ConfigProblem[] {
  const found: ConfigProblem[] = [];
  for (const [name, value] of Object.entries(object)) {
    const path = prefix === '' ? name : `${prefix}.${name}`;
    if (LEAF_KEYS.has(path)) continue;
    if (GROUP_KEYS.has(path)) {
      if (isPlainObject(value)) {
        found.push(...unknownKeys(value, file, path));
      } else {
        found.push({
          key: path,
          message: `"${path}" in config file ${JSON.stringify(file)} must be an object, allowed keys: ${childKeys(path)}`,
        });
      }
      continue;
    }
    const where = prefix === '' ? '' : ` under "${prefix}"`;
    found.push({
      key: path,
      message: `unknown key "${path}" in config file ${JSON.stringify(file)}, allowed${where}: ${childKeys(prefix)}`,
    });
  }
  return found;
}

function childKeys(group: string): string {
  const start = group === '' ? 0 : group.split('.').length;
  const names = CONFIG_KEYS.filter((s) => group === '' || s.key.startsWith(`${group}.`)).map(
    (s) => s.key.split('.')[start] as string,
  );
  return [...new Set(names)].join(', ');
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}
