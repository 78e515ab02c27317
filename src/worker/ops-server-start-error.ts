/** The ops HTTP server could not start (port taken, address not available): exit 1. */
export class OpsServerStartError extends Error {
  override readonly name = 'OpsServerStartError';
  readonly retryable = false;
}
