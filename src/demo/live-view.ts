import type { CaseState, DemoState } from './demo-state.js';

export interface LiveViewOptions {
  out: NodeJS.WritableStream;
  /** A terminal gets a status block that repaints in place; a pipe gets plain progress lines. */
  isTTY: boolean;
  state: DemoState;
  /** @defaultValue 200 */
  refreshMs?: number;
  /** How often a pipe gets a progress line while takedowns run. @defaultValue 2000 */
  progressMs?: number;
  now?: () => number;
}

export interface LiveView {
  /** A timestamped line that stays (above the status block on a terminal). */
  event(text: string): void;
  /** Shows the status block (terminal) or starts the progress lines (pipe). */
  start(): void;
  /** Paints the final status once more (terminal), stops refreshing and mutes events. Idempotent. */
  stop(): void;
}

const BAR_WIDTH = 24;

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

function bar(done: number, total: number): string {
  const filled = total === 0 ? 0 : Math.round((done / total) * BAR_WIDTH);
  return `[${'█'.repeat(filled)}${'░'.repeat(BAR_WIDTH - filled)}]`;
}

function finishedText(c: CaseState, done: string): string {
  if (c.status === 'dead-lettered') return 'FAILED — in the DLQ';
  return c.status === 'done' ? done : 'running';
}

/** The status block: one line per use case plus the simulator's view of the streams. */
export function statusLines(state: DemoState, now: number): string[] {
  const { batch, urgent, expiry, offline, dlq, sim } = state;
  const urgentText =
    urgent.status === 'waiting'
      ? 'not yet (comes while the batch drains)'
      : finishedText(
          urgent,
          `done after ${urgent.batchDoneAtFinish ?? 0} of ${batch.total} batch takedowns`,
        );
  const expiryText =
    expiry.status === 'waiting'
      ? 'not yet scheduled'
      : expiry.status === 'scheduled' && expiry.dueAt !== undefined && expiry.dueAt > now
        ? `due in ${seconds(expiry.dueAt - now)}`
        : finishedText(
            expiry,
            `done ${seconds((expiry.finishedAt ?? 0) - (expiry.dueAt ?? 0))} after its due time`,
          );
  const offlineText =
    offline.status === 'waiting'
      ? 'not yet'
      : finishedText(offline, `done — outcome ${offline.outcome ?? '?'}`);
  const dlqText =
    dlq.status === 'waiting'
      ? 'not yet'
      : dlq.status === 'dead-lettered'
        ? `in the DLQ — ${dlq.message ?? ''}`
        : dlq.status === 'done'
          ? 'UNEXPECTEDLY SUCCEEDED'
          : 'running';
  return [
    `── ${seconds(now - state.startedAt)} · ${state.phase} ──`,
    `  batch (bulk)       ${bar(batch.done, batch.total)} ${batch.done}/${batch.total} done`,
    `  urgent             ${urgentText}`,
    `  scheduled expiry   ${expiryText}`,
    `  already offline    ${offlineText}`,
    `  permanent failure  ${dlqText}`,
    `  simulator          live streams ${sim.liveStreams} · reconnects refused ${sim.refusedReconnects}` +
      ` · API calls ${sim.calls} · 429s ${sim.tooManyRequests}`,
  ];
}

function progressLine(state: DemoState): string {
  const { batch, sim } = state;
  return (
    `batch ${batch.done}/${batch.total} done · live streams ${sim.liveStreams}` +
    ` · reconnects refused ${sim.refusedReconnects} · API calls ${sim.calls}`
  );
}

export function createLiveView(options: LiveViewOptions): LiveView {
  const { out, isTTY, state } = options;
  const now = options.now ?? Date.now;
  const stamp = (): string => `[${seconds(now() - state.startedAt).padStart(7)}]`;
  let timer: NodeJS.Timeout | undefined;
  let painted = 0;
  let lastProgress = '';
  let stopped = false;

  const width = (): number => {
    const columns = (out as { columns?: number }).columns;
    return typeof columns === 'number' && columns > 20 ? columns - 1 : 120;
  };
  // Lines longer than the terminal would wrap, and the repaint would miscount them.
  const fit = (line: string): string => {
    const max = width();
    return line.length > max ? `${line.slice(0, max - 1)}…` : line;
  };
  const erase = (): void => {
    if (painted > 0) out.write(`\x1b[${painted}F\x1b[J`);
    painted = 0;
  };
  const paint = (): void => {
    const lines = statusLines(state, now()).map(fit);
    erase();
    out.write(`${lines.join('\n')}\n`);
    painted = lines.length;
  };
  const tick = (): void => {
    if (isTTY) {
      paint();
      return;
    }
    const line = progressLine(state);
    const running = state.batch.enqueued > 0 && state.batch.done < state.batch.total;
    if (running && line !== lastProgress) {
      lastProgress = line;
      out.write(`${stamp()} ${line}\n`);
    }
  };

  return {
    event(text) {
      // After stop the summary (or the cleanup report) owns the output.
      if (stopped) return;
      if (isTTY) {
        erase();
        out.write(`${stamp()} ${text}\n`);
        if (timer !== undefined) paint();
      } else {
        out.write(`${stamp()} ${text}\n`);
      }
    },
    start() {
      if (timer !== undefined || stopped) return;
      timer = setInterval(tick, isTTY ? (options.refreshMs ?? 200) : (options.progressMs ?? 2000));
      timer.unref();
      if (isTTY) paint();
    },
    stop() {
      if (stopped) return;
      stopped = true;
      clearInterval(timer);
      if (isTTY && timer !== undefined) paint();
      timer = undefined;
    },
  };
}
