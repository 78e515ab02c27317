import type { Readiness } from './create-ops-server.js';

export interface ReadinessCheckOptions {
  /** Any Redis client the process uses (an ioredis `Redis` satisfies it). */
  redis: { ping(): Promise<unknown> };
  /** The BullMQ worker; not ready until it runs (`Worker#isRunning`). */
  worker?: { isRunning(): boolean };
  /** True once a graceful shutdown started: stop taking traffic before the worker stops. */
  isShuttingDown?: () => boolean;
  /** How long a PING may take. @defaultValue 1000 */
  pingTimeoutMs?: number;
}

/**
 * The usual `isReady` for the ops server: shutting down → not ready; worker not running → not
 * ready; Redis PING failing or slower than `pingTimeoutMs` → not ready. Never throws.
 */
export function createReadinessCheck(options: ReadinessCheckOptions): () => Promise<Readiness> {
  const pingTimeoutMs = options.pingTimeoutMs ?? 1000;
  return async () => {
    if (options.isShuttingDown?.() === true) return { ready: false, reason: 'shutting down' };
    if (options.worker && !options.worker.isRunning())
      return { ready: false, reason: 'worker is not running' };
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        options.redis.ping(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`no PONG within ${pingTimeoutMs} ms`)),
            pingTimeoutMs,
          );
        }),
      ]);
      return { ready: true };
    } catch (err) {
      // ioredis messages name the host:port at most, never the password.
      return {
        ready: false,
        reason: `Redis unreachable: ${err instanceof Error ? err.message : String(err)}`,
      };
    } finally {
      clearTimeout(timer);
    }
  };
}
