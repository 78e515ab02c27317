/**
 * Stream keys are push credentials (DESIGN §8): outside Redis job data and the `--json` output of
 * a command that was given the key, they appear only masked, the way Agora's own console and
 * notifications show them (`2dfM…fys`).
 */

/** Keys shorter than this show no characters at all: 4 + 3 visible would be most of the key. */
const MIN_LENGTH_TO_SHOW_ENDS = 16;

/** `abcd…xyz` (first 4, last 3); `…` alone for a short key. Not a key (or empty): as given. */
export function maskStreamKey(key: string): string {
  if (key === '') return key;
  const chars = [...key];
  if (chars.length < MIN_LENGTH_TO_SHOW_ENDS) return '…';
  return `${chars.slice(0, 4).join('')}…${chars.slice(-3).join('')}`;
}
