/**
 * Job ids of key-only takedowns and of scheduled expiries carry the stream key
 * (`key-<appId>-<streamKey>`, `expire-<appId>-<streamKey>`, see src/jobs/job-id.ts). In a
 * span they are shown masked, `abcd…xyz`, like everywhere outside job data.
 */
const KEY_JOB_ID = /(?<![A-Za-z0-9._~%-])(key|expire)-([A-Za-z0-9%]+)-([A-Za-z0-9._~%-]+)/g;

export function maskStreamKey(key: string): string {
  return key.length <= 8 ? '…' : `${key.slice(0, 4)}…${key.slice(-3)}`;
}

export function maskJobIds(text: string): string {
  return text.replace(
    KEY_JOB_ID,
    (_all, kind: string, appId: string, key: string) => `${kind}-${appId}-${maskStreamKey(key)}`,
  );
}
