/**
 * The Redis Cluster hash tag of keys that start with `prefix`: the text between the first `{`
 * and the next `}`, when not empty (Redis hashes only that part, so every key of a queue lands
 * in one slot). undefined when the prefix has none.
 */
export function hashTagOf(prefix: string): string | undefined {
  const open = prefix.indexOf('{');
  if (open === -1) return undefined;
  const close = prefix.indexOf('}', open + 1);
  if (close === -1 || close === open + 1) return undefined;
  return prefix.slice(open + 1, close);
}
