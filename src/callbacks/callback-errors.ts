/** A delivery attempt failed and the schedule has attempts left; `retryAfterMs` from the receiver. */
export class CallbackRetryError extends Error {
  override readonly name = 'CallbackRetryError';
  readonly retryable = true;
  constructor(
    message: string,
    readonly status: number,
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}
