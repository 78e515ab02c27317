export interface CleanupFailure {
  name: string;
  message: string;
}

/** Closers run last-in first-out, each bounded in time, every one even when another fails. */
export interface CleanupStack {
  push(name: string, close: () => Promise<unknown>, timeoutMs?: number): void;
  run(): Promise<CleanupFailure[]>;
}

const DEFAULT_TIMEOUT_MS = 5000;

export function createCleanupStack(): CleanupStack {
  const steps: { name: string; close: () => Promise<unknown>; timeoutMs: number }[] = [];
  return {
    push(name, close, timeoutMs = DEFAULT_TIMEOUT_MS) {
      steps.push({ name, close, timeoutMs });
    },
    async run() {
      const failures: CleanupFailure[] = [];
      for (let step = steps.pop(); step !== undefined; step = steps.pop()) {
        let timer: NodeJS.Timeout | undefined;
        const { name, timeoutMs } = step;
        try {
          await Promise.race([
            step.close(),
            new Promise((_, reject) => {
              timer = setTimeout(
                () => reject(new Error(`did not finish within ${timeoutMs} ms`)),
                timeoutMs,
              );
            }),
          ]);
        } catch (err) {
          failures.push({ name, message: err instanceof Error ? err.message : String(err) });
        } finally {
          clearTimeout(timer);
        }
      }
      return failures;
    },
  };
}
