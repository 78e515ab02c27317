/**
 * The URL as it is safe to print: the password (and only the password) is replaced by `***`.
 * A string that is not a URL is reduced to what precedes any credentials.
 */
export function redactRedisUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    // Not a URL: drop anything up to an '@', where a password could hide.
    const at = url.lastIndexOf('@');
    return at === -1 ? url : `***@${url.slice(at + 1)}`;
  }
  if (parsed.password !== '') parsed.password = '***';
  return parsed.toString().replace(/\/$/, '');
}
