import { Cluster } from 'ioredis';
import type { Redis } from 'ioredis';
import type { RedisClient } from './create-redis-connection.js';

/**
 * Closes a client at once, its sockets included. ioredis's disconnect() only half-closes each
 * socket and waits for the server to close its side; a frozen or cut-off server never does, and
 * the open socket keeps the process alive (a finished CLI command that does not exit).
 */
export function dropRedis(client: RedisClient): void {
  // Taken before disconnect(), which empties a Cluster's node list.
  const connections: Redis[] = client instanceof Cluster ? client.nodes('all') : [client];
  client.disconnect();
  for (const connection of connections) {
    // `stream` is unset before the first connect.
    (connection.stream as typeof connection.stream | undefined)?.destroy();
  }
}
