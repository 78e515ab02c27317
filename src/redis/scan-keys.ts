import { Cluster } from 'ioredis';
import type { Redis } from 'ioredis';
import type { RedisClient } from './create-redis-connection.js';

/** The servers that hold keys: every master of a Cluster, or the one server. */
export function keyHolders(client: RedisClient): Redis[] {
  return client instanceof Cluster ? client.nodes('master') : [client];
}

/**
 * Every key matching `pattern`, in batches as SCAN returns them, from every master (a SCAN sent
 * to a Cluster would see one node only). A key may come twice (SCAN's own guarantee); a key
 * created during the scan may be missed.
 */
export async function* scanKeys(
  client: RedisClient,
  pattern: string,
  count = 1000,
): AsyncGenerator<string[]> {
  for (const node of keyHolders(client)) {
    let cursor = '0';
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', count);
      cursor = next;
      if (keys.length > 0) yield keys;
    } while (cursor !== '0');
  }
}
