/**
 * Where a takedown's dead-letter entry lives: the DLQ job id of a source job id, and back. Every
 * reader and writer of `takedown-dlq` (DLQ writer, reconciler, list, show, redrive, purge,
 * status, the dashboard's Retry) goes through these two functions, so an id maps the same way
 * everywhere.
 *
 * The DLQ id is the source id itself, so a second write for the same failure is a no-op (BullMQ
 * ignores an add whose id exists). BullMQ refuses some ids as custom ids, though, and the main
 * queue can hold them: the ids BullMQ numbers itself (all digits, a job added without our
 * deterministic id) and ids with ':' (BullMQ accepts `a:b:c` in the main queue, for its own
 * repeatable jobs). Those are stored as `n-<id>` with '%' and ':' percent-encoded; so that the
 * mapping stays one-to-one, an id that itself starts with `n-` is encoded the same way. Our own
 * ids (`sid-…`, `key-…`, `expire-…`) map to themselves, and `n-<digits>` is what older versions
 * wrote for an all-digit id.
 */

const ENCODED_PREFIX = 'n-';

function needsEncoding(sourceJobId: string): boolean {
  return (
    /^\d+$/.test(sourceJobId) ||
    // BullMQ's own test ("Custom Id cannot be integers"), which also refuses e.g. "-5".
    `${Number.parseInt(sourceJobId, 10)}` === sourceJobId ||
    sourceJobId.includes(':') ||
    sourceJobId.startsWith(ENCODED_PREFIX)
  );
}

/** The `takedown-dlq` job id of the entry for main-queue job `sourceJobId`. */
export function deadLetterJobId(sourceJobId: string): string {
  if (!needsEncoding(sourceJobId)) return sourceJobId;
  return ENCODED_PREFIX + sourceJobId.replace(/%/g, '%25').replace(/:/g, '%3A');
}

/** The main-queue job id whose entry is stored under `deadLetterJobId` (its inverse). */
export function sourceJobIdOf(deadLetterId: string): string {
  if (!deadLetterId.startsWith(ENCODED_PREFIX)) return deadLetterId;
  return deadLetterId
    .slice(ENCODED_PREFIX.length)
    .replace(/%(25|3A)/g, (_, code: string) => (code === '25' ? '%' : ':'));
}

/**
 * Whether `id` can name a job of the main queue: non-empty, and any ':' in BullMQ's one allowed
 * shape (three parts). Anything else would address other Redis keys of the queue (`…:meta`,
 * `…:repeat:…`), so operator input that fails this is answered "not found" without a lookup.
 */
export function isQueueJobId(id: string): boolean {
  return id !== '' && (!id.includes(':') || id.split(':').length === 3);
}
