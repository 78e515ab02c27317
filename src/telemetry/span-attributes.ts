/**
 * Attribute names of takedown's own spans. Values are identifiers and numbers only: never a
 * stream key, a SID, a token or any other secret (stream keys are push credentials).
 */
export const ATTR = {
  step: 'takedown.step',
  attempt: 'takedown.attempt',
  jobId: 'takedown.job_id',
  agoraOp: 'agora.op',
  agoraRegion: 'agora.region',
  agoraAppId: 'agora.app_id',
  agoraRequestId: 'agora.request_id',
  httpMethod: 'http.request.method',
  httpStatus: 'http.response.status_code',
  httpRoute: 'http.route',
  errorType: 'error.type',
  command: 'takedown.command',
  /** The step parked the job to go on later (a settle wait); not an error. */
  resumesLater: 'takedown.resumes_later',
} as const;
