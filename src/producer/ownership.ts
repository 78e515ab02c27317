import type { ChainableCommander } from 'ioredis';
import type { RedisClient } from '../redis/index.js';

/**
 * Whether the job data stored under each key starts with `ARGV[1]` (our token's JSON prefix):
 * 1 ours, 0 another producer's, -1 no such job. One script call per chunk instead of one HGET
 * per job keeps enqueueMany close to raw addBulk throughput, and nothing but a flag comes back.
 */
const OWNED_BY_LUA = `
local want = ARGV[1]
local n = #want
local out = {}
for i, key in ipairs(KEYS) do
  local data = redis.call('HGET', key, 'data')
  if data == false then
    out[i] = -1
  elseif string.sub(data, 1, n) == want then
    out[i] = 1
  else
    out[i] = 0
  end
end
return out
`;

const COMMAND = 'takedownOwnedBy';

export type Ownership = 'own' | 'other' | 'missing';

type OwnedByCommand = (numKeys: number, ...args: string[]) => unknown;

/** Registers the script on a client (and on the pipelines it creates). */
export function defineOwnershipCommand(client: RedisClient): void {
  client.defineCommand(COMMAND, { lua: OWNED_BY_LUA });
}

/** The JSON prefix our job data starts with (see toJobData: enqueueToken is the first key). */
export function tokenPrefix(token: string): string {
  return `{"enqueueToken":"${token}"`;
}

/** Queues the ownership check of `jobKeys` on a pipeline; read the reply with toOwnership. */
export function pipelineOwnership(
  pipeline: ChainableCommander,
  jobKeys: readonly string[],
  token: string,
): void {
  const command = (pipeline as unknown as Record<string, OwnedByCommand>)[COMMAND];
  if (command === undefined) throw new Error(`${COMMAND} is not defined on this Redis client`);
  command.call(pipeline, jobKeys.length, ...jobKeys, tokenPrefix(token));
}

/** Runs the ownership check of `jobKeys` on its own. */
export async function readOwnership(
  client: RedisClient,
  jobKeys: readonly string[],
  token: string,
): Promise<Ownership[]> {
  const command = (client as unknown as Record<string, OwnedByCommand>)[COMMAND];
  if (command === undefined) throw new Error(`${COMMAND} is not defined on this Redis client`);
  return toOwnership(
    await command.call(client, jobKeys.length, ...jobKeys, tokenPrefix(token)),
    jobKeys.length,
  );
}

export function toOwnership(reply: unknown, expected: number): Ownership[] {
  if (!Array.isArray(reply) || reply.length !== expected) {
    throw new Error(`unexpected reply from ${COMMAND}: expected ${expected} flags`);
  }
  return reply.map((flag) => (flag === 1 ? 'own' : flag === 0 ? 'other' : 'missing'));
}
