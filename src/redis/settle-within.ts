/**
 * Waits for `work` to settle, but at most `ms`: true when it settled in time. For closing
 * handles that can hang while Redis is away (BullMQ close/disconnect, QUIT with queued
 * commands); the timer does not keep the process alive.
 */
export async function settleWithin(work: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
    timer.unref();
  });
  try {
    return await Promise.race([
      work.then(
        () => true,
        () => true,
      ),
      expired,
    ]);
  } finally {
    clearTimeout(timer);
  }
}
