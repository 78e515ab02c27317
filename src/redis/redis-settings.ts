import { redactRedisUrl } from '../config/index.js';
import type { RedisSettings } from '../config/index.js';

export type { RedisSettings };

/** A single server's URL, or the full settings (what the configuration holds). */
export type RedisTarget = string | RedisSettings;

export type RedisMode = 'single' | 'cluster' | 'sentinel';

/** Settings for a target; a bare URL is a single server with nothing else set. */
export function toRedisSettings(target: RedisTarget): RedisSettings {
  if (typeof target !== 'string') return target;
  return {
    url: target,
    clusterNodes: [],
    sentinels: [],
    sentinelName: 'mymaster',
    sentinelPassword: undefined,
    username: undefined,
    password: undefined,
    tls: false,
    tlsCaFile: undefined,
    allowEviction: false,
  };
}

export function redisModeOf(target: RedisTarget): RedisMode {
  const settings = toRedisSettings(target);
  if (settings.clusterNodes.length > 0) return 'cluster';
  if (settings.sentinels.length > 0) return 'sentinel';
  return 'single';
}

/** Whether connections use TLS: `REDIS_TLS`, or a `rediss://` URL in single-server mode. */
export function usesTls(target: RedisTarget): boolean {
  const settings = toRedisSettings(target);
  return settings.tls || (redisModeOf(settings) === 'single' && settings.url.startsWith('rediss:'));
}

/**
 * Where we connect, safe to print in logs and errors: no password, ever.
 * `redis://127.0.0.1:6379`, `cluster 10.0.0.1:6379,10.0.0.2:6379`, `sentinel mymaster via h:26379`.
 */
export function describeRedis(target: RedisTarget): string {
  const settings = toRedisSettings(target);
  switch (redisModeOf(settings)) {
    case 'cluster':
      return `cluster ${settings.clusterNodes.join(',')}`;
    case 'sentinel':
      return `sentinel ${settings.sentinelName} via ${settings.sentinels.join(',')}`;
    case 'single':
      return redactRedisUrl(settings.url);
  }
}

/** `host:port` → its parts (validated by the configuration; `[v6]:port` allowed). */
export function parseHostPort(entry: string): { host: string; port: number } {
  const sep = entry.lastIndexOf(':');
  const host = entry.slice(0, sep).replace(/^\[(.*)\]$/, '$1');
  return { host, port: Number(entry.slice(sep + 1)) };
}
