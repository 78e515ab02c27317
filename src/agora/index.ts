export { createAgoraClient } from './agora-client.js';
export type {
  AgoraAuth,
  AgoraAuthScheme,
  AgoraClient,
  AgoraClientOptions,
} from './agora-client.js';
export {
  AgoraAbortedError,
  AgoraError,
  AgoraHttpError,
  AgoraNetworkError,
  AgoraResponseError,
  AgoraTimeoutError,
  InvalidArgumentError,
  isAgoraError,
  isAgoraHttpError,
  isRetryableError,
  isRetryableStatus,
  parseRetryAfter,
  toAgoraError,
} from './errors.js';
export type { ToAgoraErrorContext } from './errors.js';
export { buildBasicAuthorization, buildHmacAuthorization, computeHmacSignature } from './hmac.js';
export type { HmacSignature, HmacSignatureInput } from './hmac.js';
export {
  assertAppId,
  assertChannel,
  assertRegion,
  assertSid,
  assertStreamKey,
  describeAllowed,
  isValidAppId,
  isValidChannel,
  isValidExpiresAfter,
  isValidRegion,
  isValidSid,
  isValidStreamKey,
  isValidTemplateId,
  isValidUid,
  onlineStreamPath,
  onlineStreamsPath,
  parseStreamKeyFromUrl,
  previewValue,
  streamKeyPath,
  streamKeysPath,
} from './paths.js';
export { OP_CLASS, REGIONS } from './types.js';
export type {
  AgoraApi,
  AgoraOp,
  Answered,
  CallClass,
  CallInfo,
  CallOptions,
  CreateStreamKeyInput,
  DeleteKeyResult,
  DisconnectResult,
  KeyRef,
  ListStreamsResult,
  LoggerLike,
  OnlineStream,
  QueryKeyResult,
  QueryStreamResult,
  Region,
  SidRef,
  StreamKeyInfo,
} from './types.js';
