import { Presets, SingleBar } from 'cli-progress';
import type { CliContext } from '../context.js';

export interface BatchProgressCounts {
  /** Rows read so far (valid or not). */
  read: number;
  enqueued: number;
  rejected: number;
  /** Bytes of the file read so far. */
  bytes: number;
}

export interface BatchProgressDisplay {
  update(counts: BatchProgressCounts): void;
  /** Removes timers and leaves the terminal clean. Idempotent. */
  stop(): void;
}

/** Plain lines at most this often when stderr is not a terminal (logs, CI). */
export const PLAIN_PROGRESS_INTERVAL_MS = 2000;

function rate(read: number, startedAt: number, now: number): number {
  const seconds = (now - startedAt) / 1000;
  return seconds <= 0 ? 0 : Math.round(read / seconds);
}

/**
 * Progress of a batch on stderr, never on stdout (which carries the report or the --json
 * document): a bar on a terminal (rows read, enqueued, rate), plain periodic lines otherwise.
 */
export function createBatchProgress(
  ctx: Pick<CliContext, 'stderr'>,
  options: { totalBytes: number; label: string; now?: () => number },
): BatchProgressDisplay {
  const now = options.now ?? Date.now;
  const startedAt = now();
  const tty = (ctx.stderr as { isTTY?: boolean }).isTTY === true;

  if (tty && options.totalBytes > 0) {
    const bar = new SingleBar(
      {
        stream: ctx.stderr,
        format: `${options.label} {bar} {percentage}% | {rows} rows read | {enqueued} enqueued | {rejected} rejected | {rate} rows/s | {duration_formatted}`,
        hideCursor: true,
        clearOnComplete: true,
        fps: 5,
      },
      Presets.shades_classic,
    );
    bar.start(options.totalBytes, 0, { rows: 0, enqueued: 0, rejected: 0, rate: 0 });
    let stopped = false;
    return {
      update(counts) {
        if (stopped) return;
        bar.update(Math.min(counts.bytes, options.totalBytes), {
          rows: counts.read,
          enqueued: counts.enqueued,
          rejected: counts.rejected,
          rate: rate(counts.read, startedAt, now()),
        });
      },
      stop() {
        if (stopped) return;
        stopped = true;
        bar.stop();
      },
    };
  }

  // No timer: a line is written from update() when the interval has passed, so nothing is left
  // running if the batch stops early.
  let lastLine = startedAt;
  return {
    update(counts) {
      const t = now();
      if (t - lastLine < PLAIN_PROGRESS_INTERVAL_MS) return;
      lastLine = t;
      ctx.stderr.write(
        `takedown: ${options.label}: ${counts.read} rows read, ${counts.enqueued} enqueued, ` +
          `${counts.rejected} rejected (${rate(counts.read, startedAt, t)} rows/s)\n`,
      );
    },
    stop() {
      // nothing to clean up
    },
  };
}
