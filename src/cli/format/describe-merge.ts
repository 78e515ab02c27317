import type { MergeChange } from '../../producer/index.js';

/** One phrase for what a duplicate request changed in the takedown already queued. */
export function describeMerge(
  merged: readonly MergeChange[],
  priority: string,
  keyJobId: string | undefined,
  unmergedRegions: readonly string[] = [],
): string {
  const parts: string[] = [];
  if (merged.includes('priority')) parts.push(`priority raised to ${priority}`);
  if (merged.includes('streamKey')) parts.push('stream key added (revoked before the disconnect)');
  if (merged.includes('extraRegions')) {
    parts.push('extra regions added (revoked and cut after the job region)');
  }
  if (keyJobId !== undefined) {
    parts.push(`the stream key was past revoking there, so it got its own takedown ${keyJobId}`);
  }
  if (unmergedRegions.length > 0) {
    parts.push(
      `NOT taken: extra regions ${unmergedRegions.join(', ')} (the takedown is past them and ` +
        'there is no other takedown to give them; nothing was queued for them)',
    );
  }
  return parts.length === 0 ? `nothing to change (priority ${priority})` : parts.join('; ');
}
