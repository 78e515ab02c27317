import type { Command } from 'commander';
import { ConfigError, loadConfig, parseAllowedHost } from '../../config/index.js';
import type { AllowedHost, ResolvedConfig } from '../../config/index.js';
import type { FieldError, ParseTakedownRequestOptions } from '../../jobs/index.js';
import { createLogger } from '../../logging/index.js';
import {
  DEFAULT_CONNECT_TIMEOUT_MS,
  RedisUnavailableError,
  ValidationError,
  createProducer,
} from '../../producer/index.js';
import {
  EvictionPolicyError,
  checkEvictionPolicy,
  connectRedis,
  describeRedis,
  quitRedis,
  toRedisSettings,
} from '../../redis/index.js';
import type { RedisClient } from '../../redis/index.js';
import type { Producer } from '../../producer/index.js';
import { activeTelemetry } from '../../telemetry/index.js';
import { OperationalError, UsageError } from '../context.js';
import { REQUEST_FLAGS } from './request-flags.js';
import type { CliContext } from '../context.js';

/**
 * What the operator commands (enqueue, batch, channel, expire, status, dlq, stats) share:
 * reading the configuration, opening a producer, and turning library errors into exit codes.
 */

export interface ConfigFlags {
  config?: string;
}

/** `--config FILE` on a subcommand (the same option exists on the program). */
export function addConfigOption(command: Command): Command {
  return command.option('--config <file>', 'JSON configuration file (env vars win over it)');
}

/** The configuration; a bad value is a usage error (exit 2) naming the key. */
export function readConfig(ctx: CliContext, flags: ConfigFlags): ResolvedConfig {
  try {
    return loadConfig({
      env: ctx.env,
      ...(flags.config === undefined ? {} : { file: flags.config }),
    });
  } catch (err) {
    if (err instanceof ConfigError) throw new UsageError(err.message, { cause: err });
    throw err;
  }
}

/** Payload field → the flag that sets it, so messages name what the user typed. */
const FLAG_OF: Readonly<Record<string, string>> = {
  region: '--region',
  sid: '--sid',
  streamKey: '--key',
  appId: '--app-id',
  channel: '--channel',
  reason: '--reason',
  priority: '--priority',
  at: '--at',
  jobId: 'JOB_ID',
  batchId: '--batch',
  limit: '--limit',
  ...REQUEST_FLAGS,
  uid: '--uid',
  durationS: '--for',
  until: '--until',
  forever: '--forever',
  ruleId: 'RULE_ID',
};

/** What a command validates requests with before connecting (the producer uses the same). */
export function requestParseOptions(config: ResolvedConfig): ParseTakedownRequestOptions {
  return {
    defaultAppId: config.agora.appId,
    callbackAllowedHosts: config.callbacks.allowedHosts
      .map(parseAllowedHost)
      .filter((h): h is AllowedHost => h !== undefined),
  };
}

export interface FlagErrorOptions {
  /**
   * Report "sid or streamKey is required" (raised on sid) as `--sid/--key`: for a command where
   * either flag fixes it (enqueue).
   */
  sidOrKey?: boolean;
}

/** `--key: streamKey must be …; --region: …`. */
export function formatFlagErrors(
  errors: readonly FieldError[],
  options: FlagErrorOptions = {},
): string {
  return errors
    .map((e) => {
      const flag =
        options.sidOrKey === true && e.field === 'sid' && e.message.includes('streamKey')
          ? '--sid/--key'
          : FLAG_OF[e.field];
      return `${flag ?? e.field}: ${e.message}`;
    })
    .join('; ');
}

/** Warnings (and more, at LOG_LEVEL debug/trace) on stderr, so --json output stays clean. */
function commandLogger(config: ResolvedConfig): ReturnType<typeof createLogger> {
  const verbose = config.log.level === 'debug' || config.log.level === 'trace';
  return createLogger({ level: verbose ? config.log.level : 'warn', pretty: config.log.pretty });
}

/**
 * Runs `fn` with a producer connected to the configured Redis and closes it afterwards.
 * Redis unreachable → OperationalError (exit 1, password masked by the URL redaction);
 * Redis evicts keys → UsageError (exit 2: createProducer's check, src/redis);
 * a ValidationError → UsageError (exit 2) naming the flags.
 */
export async function withProducer<T>(
  config: ResolvedConfig,
  what: string,
  fn: (producer: Producer) => Promise<T>,
): Promise<T> {
  const logger = commandLogger(config);
  let producer: Producer;
  const telemetry = activeTelemetry();
  try {
    producer = await createProducer({
      redis: config.redis,
      ...(telemetry === undefined ? {} : { telemetry: telemetry.bullmq }),
      prefix: config.prefix,
      logger,
      defaultAppId: config.agora.appId,
      callbackAllowedHosts: config.callbacks.allowedHosts,
      attempts: config.takedown.attempts,
      idempotencyWindowS: config.takedown.idempotencyWindowS,
    });
  } catch (err) {
    throw toCliError(err, what);
  }
  try {
    return await fn(producer);
  } catch (err) {
    throw toCliError(err, what);
  } finally {
    await producer.close();
  }
}

/**
 * Runs `fn` with a plain Redis connection (commands that read the audit trail or the callback
 * queue) and closes it afterwards; Redis unreachable → exit 1, Redis evicts keys → exit 2.
 */
export async function withRedis<T>(
  config: ResolvedConfig,
  what: string,
  fn: (redis: RedisClient) => Promise<T>,
): Promise<T> {
  let redis: RedisClient;
  try {
    redis = await connectRedis(config.redis, {
      role: 'producer',
      connectTimeoutMs: DEFAULT_CONNECT_TIMEOUT_MS,
    });
  } catch (err) {
    throw new OperationalError(
      `cannot ${what}: Redis at ${describeRedis(config.redis)} is unreachable (${err instanceof Error ? err.message : String(err)})`,
      { cause: err },
    );
  }
  redis.on('error', () => undefined); // failing calls report it
  try {
    // The same rule as every other command (createProducer runs it for theirs).
    await checkEvictionPolicy(redis, {
      allowEviction: toRedisSettings(config.redis).allowEviction === true,
      where: describeRedis(config.redis),
      logger: commandLogger(config),
    });
    return await fn(redis);
  } catch (err) {
    throw toCliError(err, what);
  } finally {
    // Bounded, sockets included: a frozen node must not keep the command from exiting.
    await quitRedis(redis);
  }
}

/** Library errors → the CLI's exit-code classes; anything else is passed through. */
export function toCliError(err: unknown, what: string): unknown {
  if (err instanceof RedisUnavailableError) {
    return new OperationalError(`cannot ${what}: ${err.message}`, { cause: err });
  }
  if (err instanceof EvictionPolicyError) {
    return new UsageError(`cannot ${what}: ${err.message}`, { cause: err });
  }
  if (err instanceof ValidationError) {
    return new UsageError(formatFlagErrors(err.fieldErrors), { cause: err });
  }
  return err;
}

/** Shown by `--help` of every operator command after its own examples. */
export const EXIT_CODES_HELP = `
Exit codes: 0 done, 1 operational failure (Redis unreachable, ...), 2 usage or validation error.`;
