/** Agora's documented error messages (reference §4.1), used for the simulator's answers. */
export const MESSAGES = {
  invalidSettings: 'Invalid settings.',
  invalidChannel: "Invalid 'channel' format.",
  unauthorized: 'Invalid authentication credentials.',
  otherApp: 'Stream does not belong to this app ID.',
  keyNotFound: 'Resource not found and destroyed.',
  notFound: 'Resource not found.',
  rateLimited: 'Request rate limit exceeded.',
  outage: 'Service unavailable temporarily. Retry with the back-off strategy.',
  internal: 'Internal error. Contact us to help fix it.',
} as const;

const DEFAULT_BY_STATUS: Readonly<Record<number, string>> = {
  400: MESSAGES.invalidSettings,
  401: MESSAGES.unauthorized,
  403: 'Media Gateway is not enabled for this project. Contact us to enable.',
  404: MESSAGES.notFound,
  409: 'Resource with the same name already exists.',
  429: MESSAGES.rateLimited,
  500: MESSAGES.internal,
  502: 'Internal errors. Contact us to troubleshoot.',
  503: 'Service overload. Retry with the back-off strategy and contact us to fix it.',
  504: 'Gateway timeout. Query to check whether the player has been created, or to create another one instead.',
};

/** The documented message for a status, for injected errors that name none. */
export function defaultMessage(status: number): string {
  return DEFAULT_BY_STATUS[status] ?? 'Simulated error.';
}
