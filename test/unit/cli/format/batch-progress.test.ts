import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import {
  PLAIN_PROGRESS_INTERVAL_MS,
  createBatchProgress,
} from '../../../../src/cli/format/batch-progress.js';

function stream(tty: boolean): {
  stream: Writable & { isTTY?: boolean; columns?: number };
  text: () => string;
} {
  let text = '';
  const out = new Writable({
    write(chunk: Buffer, _encoding, done) {
      text += chunk.toString();
      done();
    },
  }) as Writable & { isTTY?: boolean; columns?: number };
  if (tty) {
    out.isTTY = true;
    out.columns = 160;
  }
  return { stream: out, text: () => text };
}

const counts = (read: number) => ({ read, enqueued: read - 1, rejected: 1, bytes: read * 10 });

describe('createBatchProgress', () => {
  it('writes a plain line at most every interval when stderr is not a terminal', () => {
    const err = stream(false);
    let now = 1_000_000;
    const progress = createBatchProgress(
      { stderr: err.stream },
      { totalBytes: 1000, label: 'batch', now: () => now },
    );
    progress.update(counts(10));
    expect(err.text()).toBe('');
    now += PLAIN_PROGRESS_INTERVAL_MS;
    progress.update(counts(4000));
    now += 100;
    progress.update(counts(4100));
    progress.stop();
    expect(err.text()).toBe(
      'takedown: batch: 4000 rows read, 3999 enqueued, 1 rejected (2000 rows/s)\n',
    );
  });

  it('draws a bar with rows read, enqueued and rate on a terminal, and clears it on stop', () => {
    const err = stream(true);
    const progress = createBatchProgress(
      { stderr: err.stream },
      { totalBytes: 1000, label: 'batch' },
    );
    progress.update(counts(50));
    progress.stop();
    progress.stop(); // idempotent
    expect(err.text()).toMatch(
      /batch .*\| 50 rows read \| 49 enqueued \| 1 rejected \| \d+ rows\/s/,
    );
  });
});
