import { Command } from 'commander';
import { ConfigError, loadConfig } from '../../config/index.js';
import type { ResolvedConfig } from '../../config/index.js';
import { createLogger } from '../../logging/index.js';
import { EvictionPolicyError } from '../../redis/index.js';
import { activeTelemetry } from '../../telemetry/index.js';
import { RedisUnavailableError, runWorker } from '../../worker/index.js';
import { OperationalError, UsageError } from '../context.js';
import type { CliContext } from '../context.js';

interface WorkerFlags {
  config?: string;
}

/** `takedown worker`: processes takedown jobs until SIGINT/SIGTERM; exit 0 after a graceful stop. */
export function workerCommand(ctx: CliContext): Command {
  return new Command('worker')
    .description(
      'Process takedown jobs (revoke key → disconnect → verify) until SIGINT/SIGTERM. ' +
        'Settings come from the environment (see README) or --config FILE.',
    )
    .option('--config <file>', 'JSON configuration file (env vars win over it)')
    .action(async (flags: WorkerFlags) => {
      let config: ResolvedConfig;
      try {
        config = loadConfig({
          env: ctx.env,
          ...(flags.config === undefined ? {} : { file: flags.config }),
        });
      } catch (err) {
        if (err instanceof ConfigError) throw new UsageError(err.message, { cause: err });
        throw err;
      }
      const logger = createLogger({ level: config.log.level, pretty: config.log.pretty });
      try {
        const telemetry = activeTelemetry();
        ctx.exitCode = await runWorker({
          config,
          logger,
          ctx,
          ...(telemetry === undefined ? {} : { telemetry }),
        });
      } catch (err) {
        if (err instanceof ConfigError) throw new UsageError(err.message, { cause: err });
        // A setting to change (or override with REDIS_ALLOW_EVICTION), like a bad config value.
        if (err instanceof EvictionPolicyError) {
          throw new UsageError(`cannot start the worker: ${err.message}`, { cause: err });
        }
        if (err instanceof RedisUnavailableError) {
          throw new OperationalError(`cannot start the worker: ${err.message}`, { cause: err });
        }
        throw err;
      }
    });
}
