import { CONFIG_KEYS } from './schema.js';
import type { ConfigReferenceRow } from './types.js';

function renderDefault(value: unknown): string {
  if (value === undefined) return '—';
  if (Array.isArray(value)) return value.length === 0 ? 'empty' : value.join(',');
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** Every key with its env var, doc and default, in schema order (for the README table). */
export function configReference(): ConfigReferenceRow[] {
  return CONFIG_KEYS.map((spec) => ({
    env: spec.env,
    key: spec.key,
    doc: spec.doc,
    default: renderDefault(spec.default),
  }));
}
