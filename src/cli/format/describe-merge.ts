import type { MergeChange } from '../../producer/index.js';

/** One phrase for what a duplicate request changed in the takedown already queued. */
export function describeMerge(
  merged: readonly MergeChange[],
  priority: string,
  keyJobId: string | undefined,
): string {
  const parts: string[] = [];
  if (merged.includes('priority')) parts.push(`priority raised to ${priority}`);
  if (merged.includes('streamKey')) parts.push('stream key added (revoked before the disconnect)');
  if (keyJobId !== undefined) {
    parts.push(`the stream key was past revoking there, so it got its own takedown ${keyJobId}`);
  }
  return parts.length === 0 ? `nothing to change (priority ${priority})` : parts.join('; ');
}
