import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * A streaming command (batch) keeps ~25 MB alive, but V8 lets the heap grow to ~4× its live set
 * between full collections, so peak RSS followed the garbage rather than the work (~200 MB for a
 * 100,000-row file). Collecting whenever the heap passes a soft limit keeps the peak flat,
 * whatever the file size; a full collection of a heap this small takes a few milliseconds.
 * Returns a check to call between chunks; a no-op where the runtime refuses to expose gc.
 */
export function createHeapGuard(softLimitBytes = 48 * 1024 * 1024): () => void {
  let gc: (() => void) | undefined;
  try {
    setFlagsFromString('--expose-gc');
    gc = runInNewContext('gc') as () => void;
  } catch {
    gc = undefined;
  }
  return () => {
    if (gc !== undefined && getHeapStatistics().used_heap_size > softLimitBytes) gc();
  };
}
