import { maskJobId } from '../jobs/index.js';

/**
 * Job ids of key-only takedowns and of scheduled expiries carry a fingerprint of the stream key,
 * but ids queued by an older version carry the key itself (`key-<appId>-<streamKey>`, see
 * src/jobs/job-id.ts). In a span such a key is shown masked, `abcd…xyz`, like everywhere
 * outside job data; this finds the ids inside any text (span names, Redis key names).
 */
const KEY_JOB_ID = /(?<![A-Za-z0-9._~%-])(?:key|expire)-[A-Za-z0-9%]+-[A-Za-z0-9._~%-]+/g;

export function maskJobIds(text: string): string {
  return text.replace(KEY_JOB_ID, (id) => maskJobId(id));
}
