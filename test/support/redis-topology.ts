import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import type { RedisSettings } from '../../src/config/index.js';
import { toRedisSettings } from '../../src/redis/index.js';
import { REDIS_INSTALL_HINT, freePort } from './redis-server.js';
import { redisTlsArgs } from './tls-certs.js';
import type { TestCertificates } from './tls-certs.js';
import { waitFor } from './wait-for.js';

/**
 * Real Redis topologies for the failover tests, started from the `redis-server` binary on free
 * loopback ports (no Docker): a 3-master Redis Cluster with one replica each, and a master +
 * replica watched by 3 Sentinels. Every process and temp dir is removed by `close()` (and the
 * processes are SIGKILLed if the test process exits first).
 */

/** One redis-server process (data node or Sentinel). */
export interface RedisNode {
  /** The plain-TCP port (admin connections use it, also in a TLS topology). */
  readonly port: number;
  /** `127.0.0.1:PORT`. */
  readonly address: string;
  /** In a TLS topology, the TLS port (what takedown connects to). */
  readonly tlsPort?: number;
  /** Freezes the process (SIGSTOP): it keeps its sockets but answers nothing. */
  pause(): void;
  /** Thaws a paused process (SIGCONT). */
  resume(): void;
  /** SIGKILL and wait for the exit. */
  kill(): Promise<void>;
  /** Starts it again with the same arguments, port and directory. */
  start(): Promise<void>;
  /** A fresh admin connection (close it), never retrying for long. */
  admin(): Redis;
}

const live = new Set<ChildProcess>();
let exitHookInstalled = false;
function trackForExit(child: ChildProcess): void {
  live.add(child);
  child.once('exit', () => live.delete(child));
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // A crashed or interrupted test must not leave servers behind holding ports.
  process.once('exit', () => {
    for (const c of live) c.kill('SIGKILL');
  });
}

/** A free port whose cluster bus port (+10000) is free too. */
async function freeClusterPort(): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const port = await freePort();
    if (port + 10000 > 65535) continue;
    const busFree = await new Promise<boolean>((resolve) => {
      const srv = createServer();
      srv.once('error', () => resolve(false));
      srv.listen(port + 10000, '127.0.0.1', () => srv.close(() => resolve(true)));
    });
    if (busFree) return port;
  }
  throw new Error('no free port pair (P, P+10000) for a cluster node');
}

/** The port clients (and replicas, and Sentinels) use: the TLS one in a TLS topology. */
function clientPort(node: RedisNode): number {
  return node.tlsPort ?? node.port;
}

/** Where a takedown process connects to `node`: its TLS port by name in a TLS topology. */
export function clientAddress(node: RedisNode): string {
  return node.tlsPort === undefined ? node.address : `localhost:${node.tlsPort}`;
}

function adminClient(port: number, password: string | undefined): Redis {
  const client = new Redis(port, '127.0.0.1', {
    ...(password === undefined ? {} : { password }),
    lazyConnect: false,
    connectTimeout: 1000,
    commandTimeout: 3000,
    maxRetriesPerRequest: 1,
    retryStrategy: (times) => (times > 20 ? null : 100),
  });
  client.on('error', () => undefined);
  return client;
}

async function answers(port: number, password: string | undefined): Promise<boolean> {
  const client = new Redis(port, '127.0.0.1', {
    ...(password === undefined ? {} : { password }),
    lazyConnect: true,
    connectTimeout: 500,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

interface NodeOptions {
  /** The TLS port the node also listens on. */
  tlsPort?: number | undefined;
  /** The `default` user's password (what admin connections send). */
  password?: string | undefined;
}

function startNode(
  port: number,
  dir: string,
  args: readonly string[],
  { tlsPort, password }: NodeOptions = {},
): RedisNode {
  let child: ChildProcess | undefined;
  const start = async (): Promise<void> => {
    const proc = spawn('redis-server', [...args], {
      cwd: dir,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    child = proc;
    trackForExit(proc);
    let spawnError: Error | undefined;
    let stderr = '';
    proc.stderr?.setEncoding('utf8');
    proc.stderr?.on('data', (d: string) => (stderr += d));
    proc.once('error', (err) => (spawnError = err));
    for (let i = 0; i < 200; i++) {
      if (spawnError) {
        throw new Error(
          `could not start redis-server: ${spawnError.message}. ${REDIS_INSTALL_HINT}`,
        );
      }
      if (proc.exitCode !== null) {
        throw new Error(`redis-server on port ${port} exited (${proc.exitCode}): ${stderr}`);
      }
      if (await answers(port, password)) return;
      await sleep(50);
    }
    throw new Error(`redis-server on port ${port} did not answer within 10 s`);
  };
  const kill = async (): Promise<void> => {
    const proc = child;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    proc.kill('SIGCONT');
    proc.kill('SIGKILL');
    await exited;
  };
  return {
    port,
    address: `127.0.0.1:${port}`,
    ...(tlsPort === undefined ? {} : { tlsPort }),
    pause: () => child?.kill('SIGSTOP'),
    resume: () => child?.kill('SIGCONT'),
    kill,
    start,
    admin: () => adminClient(port, password),
  };
}

/** Data-node defaults: in memory only (the failover, not the disk, is under test), noeviction. */
function dataNodeArgs(port: number, dir: string): string[] {
  // prettier-ignore
  return [
    '--port', String(port),
    '--bind', '127.0.0.1',
    '--dir', dir,
    '--appendonly', 'no',
    '--save', '',
    '--maxmemory-policy', 'noeviction',
    '--protected-mode', 'no',
    '--daemonize', 'no',
  ];
}

/**
 * A TLS topology: every node also listens on a TLS port with `certs` (clients need no
 * certificate of their own), and replication, the cluster bus and Sentinel use TLS.
 */
export interface TopologyOptions {
  tls?: TestCertificates;
  /**
   * Data nodes require passwords: takedown connects as ACL user `username` with `password`;
   * the harness and replication use the `default` user with another one (`adminPassword`), so
   * a client that dropped the user name would be refused. Sentinels require `sentinelPassword`.
   */
  auth?: TopologyAuth;
}

export interface TopologyAuth {
  username: string;
  password: string;
  sentinelPassword: string;
}

/** The `default` user's password: the harness's and replication's, not takedown's. */
function adminPassword(auth: TopologyAuth | undefined): string | undefined {
  return auth === undefined ? undefined : `${auth.password}-default`;
}

/** redis-server arguments: the `default` user's password, replication's, and takedown's user. */
function authArgs(auth: TopologyAuth | undefined): string[] {
  if (auth === undefined) return [];
  // prettier-ignore
  return [
    '--requirepass', adminPassword(auth) as string,
    '--masterauth', adminPassword(auth) as string,
    '--user', auth.username, 'on', `>${auth.password}`, '~*', '&*', '+@all',
  ];
}

/** What a takedown process sends to authenticate. */
function authSettings(auth: TopologyAuth | undefined): Partial<RedisSettings> {
  return auth === undefined ? {} : { username: auth.username, password: auth.password };
}

function authEnv(auth: TopologyAuth | undefined): Record<string, string> {
  return auth === undefined ? {} : { REDIS_USERNAME: auth.username, REDIS_PASSWORD: auth.password };
}

/** What a takedown process needs to trust the topology's certificates. */
function tlsSettings(certs: TestCertificates | undefined): Partial<RedisSettings> {
  return certs === undefined ? {} : { tls: true, tlsCaFile: certs.caFile };
}

function tlsEnv(certs: TestCertificates | undefined): Record<string, string> {
  return certs === undefined ? {} : { REDIS_TLS: 'true', REDIS_TLS_CA_FILE: certs.caFile };
}

function pairsToLines(args: readonly string[]): string[] {
  const lines: string[] = [];
  for (let i = 0; i + 1 < args.length; i += 2) {
    lines.push(`${(args[i] as string).replace(/^--/, '')} ${args[i + 1] as string}`);
  }
  return lines;
}

async function withAdmin<T>(node: RedisNode, fn: (client: Redis) => Promise<T>): Promise<T> {
  const client = node.admin();
  try {
    return await fn(client);
  } finally {
    client.disconnect();
  }
}

function infoField(info: string, field: string): string | undefined {
  const line = info.split('\r\n').find((l) => l.startsWith(`${field}:`));
  return line?.slice(field.length + 1);
}

// ---------------------------------------------------------------------------------------------
// Redis Cluster

export interface LocalCluster {
  /** Every node, masters and replicas (roles change with failovers). */
  readonly nodes: readonly RedisNode[];
  /** The settings a client needs (clusterNodes = every node). */
  readonly settings: RedisSettings;
  /** The env of a takedown process in cluster mode. */
  readonly env: Record<string, string>;
  /** The node that is master of `key`'s slot now. */
  masterOf(key: string): Promise<RedisNode>;
  /** A master that does not own `key`'s slot. */
  otherMasterThan(key: string): Promise<RedisNode>;
  /** The replica of `key`'s master. */
  replicaOf(key: string): Promise<RedisNode>;
  /**
   * `CLUSTER FAILOVER` on the replica of `key`'s master; resolves once every node agrees that
   * the replica is the master of that slot. Returns the new master.
   */
  failover(key: string): Promise<RedisNode>;
  /** Waits until every node reports cluster_state:ok and agrees who owns `key`. */
  waitHealthy(key?: string): Promise<void>;
  close(): Promise<void>;
}

interface SlotOwner {
  master: number;
  replicas: number[];
}

async function slotOwner(node: RedisNode, slot: number): Promise<SlotOwner | undefined> {
  return withAdmin(node, async (client) => {
    const slots = (await client.cluster('SLOTS')) as unknown as [
      number,
      number,
      ...[string, number][],
    ][];
    for (const [from, to, master, ...replicas] of slots) {
      if (master !== undefined && slot >= from && slot <= to) {
        return { master: master[1], replicas: replicas.map((r) => r[1]) };
      }
    }
    return undefined;
  });
}

/**
 * Starts 6 nodes, `redis-cli --cluster create … --cluster-replicas 1`, waits for a healthy
 * cluster. With `tls`, the nodes announce the host name `localhost` (not an IP) to clients, as
 * ElastiCache does, so a client that resolved names before connecting would fail the
 * certificate check of a certificate issued for names only.
 */
export async function startLocalCluster(options: TopologyOptions = {}): Promise<LocalCluster> {
  const certs = options.tls;
  const auth = options.auth;
  const dir = await mkdtemp(join(tmpdir(), 'takedown-cluster-'));
  const nodes: RedisNode[] = [];
  const close = async (): Promise<void> => {
    await Promise.all(nodes.map((n) => n.kill()));
    await rm(dir, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i < 6; i++) {
      const port = await freeClusterPort();
      const tlsPort = certs === undefined ? undefined : await freePort();
      // prettier-ignore
      const tls = tlsPort === undefined || certs === undefined ? [] : [
        ...redisTlsArgs(tlsPort, certs),
        '--tls-cluster', 'yes',
        '--cluster-announce-hostname', 'localhost',
        '--cluster-preferred-endpoint-type', 'hostname',
      ];
      // prettier-ignore
      const node = startNode(port, dir, [
        ...dataNodeArgs(port, dir),
        '--cluster-enabled', 'yes',
        '--cluster-config-file', `nodes-${port}.conf`,
        '--cluster-node-timeout', '2000',
        // A replica takes over however long it was cut off (the test decides when).
        '--cluster-replica-validity-factor', '0',
        ...tls,
        ...authArgs(auth),
      ], { tlsPort, password: adminPassword(auth) });
      nodes.push(node);
      await node.start();
    }
    const created = spawnSync(
      'redis-cli',
      [
        '--cluster',
        'create',
        ...nodes.map((n) => n.address),
        '--cluster-replicas',
        '1',
        '--cluster-yes',
        ...(auth === undefined ? [] : ['-a', adminPassword(auth) as string, '--no-auth-warning']),
      ],
      { encoding: 'utf8', timeout: 60_000 },
    );
    if (created.status !== 0) {
      throw new Error(
        `redis-cli --cluster create failed (${created.status ?? created.error?.message}): ${created.stdout}${created.stderr}. ${REDIS_INSTALL_HINT}`,
      );
    }
  } catch (err) {
    await close();
    throw err;
  }

  const byPort = (port: number): RedisNode => {
    const node = nodes.find((n) => n.port === port);
    if (node === undefined) throw new Error(`no node on port ${port}`);
    return node;
  };
  /** Asks the first node that answers (some may be frozen on purpose). */
  const ask = async <T>(fn: (node: RedisNode) => Promise<T>): Promise<T> => {
    let last: unknown;
    for (const node of nodes) {
      try {
        return await fn(node);
      } catch (err) {
        last = err;
      }
    }
    throw new Error(`no cluster node answered: ${(last as Error).message}`);
  };
  const slotOf = async (key: string): Promise<number> =>
    ask((n) => withAdmin(n, (c) => c.cluster('KEYSLOT', key)));

  const waitHealthy = async (key?: string): Promise<void> => {
    await waitFor(
      async () => {
        for (const node of nodes) {
          const info = await withAdmin(node, (c) => c.cluster('INFO'));
          if (infoField(info, 'cluster_state') !== 'ok') return false;
          if (infoField(info, 'cluster_known_nodes') !== '6') return false;
        }
        if (key === undefined) return true;
        const slot = await slotOf(key);
        const owners = await Promise.all(nodes.map((n) => slotOwner(n, slot)));
        const first = owners[0];
        if (first === undefined || first.replicas.length === 0) return false;
        if (!owners.every((o) => o?.master === first.master)) return false;
        // The replica is in sync, so a failover loses nothing.
        const replicaInfo = await withAdmin(byPort(first.replicas[0] as number), (c) =>
          c.info('replication'),
        );
        return infoField(replicaInfo, 'master_link_status') === 'up';
      },
      {
        timeoutMs: 60_000,
        intervalMs: 200,
        what: 'a healthy cluster (cluster_state:ok everywhere)',
      },
    );
  };
  try {
    await waitHealthy();
  } catch (err) {
    await close();
    throw err;
  }

  const masterOf = async (key: string): Promise<RedisNode> => {
    const slot = await slotOf(key);
    const owner = await ask((n) => slotOwner(n, slot));
    if (owner === undefined) throw new Error(`no master owns the slot of ${key}`);
    return byPort(owner.master);
  };
  const settings: RedisSettings = {
    ...toRedisSettings('redis://127.0.0.1:6379'),
    ...tlsSettings(certs),
    ...authSettings(auth),
    clusterNodes: nodes.map((n) => clientAddress(n)),
  };

  return {
    nodes,
    settings,
    env: {
      REDIS_CLUSTER_NODES: settings.clusterNodes.join(','),
      ...tlsEnv(certs),
      ...authEnv(auth),
    },
    masterOf,
    async otherMasterThan(key) {
      const owner = await masterOf(key);
      for (const node of nodes) {
        if (node === owner) continue;
        const role = await withAdmin(node, (c) => c.role());
        if (role[0] === 'master') return node;
      }
      throw new Error('no other master');
    },
    async replicaOf(key) {
      const slot = await slotOf(key);
      // Right after the cluster starts (or a failover) the replica may not be attached yet.
      let port: number | undefined;
      await waitFor(
        async () => {
          port = (await ask((n) => slotOwner(n, slot)))?.replicas[0];
          return port !== undefined;
        },
        { timeoutMs: 30_000, intervalMs: 200, what: `a replica of the master of ${key}` },
      );
      return byPort(port as number);
    },
    async failover(key) {
      await waitHealthy(key);
      const slot = await slotOf(key);
      const before = await ask((n) => slotOwner(n, slot));
      const replicaPort = before?.replicas[0];
      if (replicaPort === undefined) throw new Error(`the master of ${key} has no replica`);
      const replica = byPort(replicaPort);
      await withAdmin(replica, (c) => c.cluster('FAILOVER'));
      await waitFor(
        async () => {
          const owners = await Promise.all(nodes.map((n) => slotOwner(n, slot)));
          return owners.every((o) => o?.master === replicaPort);
        },
        {
          timeoutMs: 30_000,
          intervalMs: 100,
          what: `every node to see ${replica.address} as master`,
        },
      );
      return replica;
    },
    waitHealthy,
    close,
  };
}

// ---------------------------------------------------------------------------------------------
// Sentinel

export const SENTINEL_MASTER_NAME = 'takedown-test';

export interface LocalSentinel {
  /** Both data nodes; which one is master changes with failovers. */
  readonly dataNodes: readonly RedisNode[];
  readonly sentinels: readonly RedisNode[];
  readonly settings: RedisSettings;
  /** The env of a takedown process in Sentinel mode. */
  readonly env: Record<string, string>;
  /** The data node the Sentinels name as master now. */
  master(): Promise<RedisNode>;
  /**
   * `SENTINEL FAILOVER`; resolves once every Sentinel names the other node, it is master and
   * the old master replicates from it. Returns the new master.
   */
  failover(): Promise<RedisNode>;
  close(): Promise<void>;
}

/**
 * A master, a replica and 3 Sentinels (quorum 2), each Sentinel with a writable config file.
 * With `tls`, replication and the Sentinels use the TLS ports, so the Sentinels name the
 * master by its TLS port.
 */
export async function startLocalSentinel(options: TopologyOptions = {}): Promise<LocalSentinel> {
  const certs = options.tls;
  const auth = options.auth;
  const tlsPortFor = async (): Promise<number | undefined> =>
    certs === undefined ? undefined : freePort();
  const withTls = (tlsPort: number | undefined): string[] =>
    tlsPort === undefined || certs === undefined ? [] : redisTlsArgs(tlsPort, certs);
  const dir = await mkdtemp(join(tmpdir(), 'takedown-sentinel-'));
  const dataNodes: RedisNode[] = [];
  const sentinels: RedisNode[] = [];
  const close = async (): Promise<void> => {
    await Promise.all([...sentinels, ...dataNodes].map((n) => n.kill()));
    await rm(dir, { recursive: true, force: true });
  };
  const name = SENTINEL_MASTER_NAME;
  try {
    const masterPort = await freePort();
    const masterTlsPort = await tlsPortFor();
    const master = startNode(
      masterPort,
      dir,
      [...dataNodeArgs(masterPort, dir), ...withTls(masterTlsPort), ...authArgs(auth)],
      { tlsPort: masterTlsPort, password: adminPassword(auth) },
    );
    dataNodes.push(master);
    await master.start();
    // Replicas and Sentinels reach the master where clients do: its TLS port under TLS.
    const masterClientPort = masterTlsPort ?? masterPort;
    const replicaPort = await freePort();
    const replicaTlsPort = await tlsPortFor();
    const replica = startNode(
      replicaPort,
      dir,
      [
        ...dataNodeArgs(replicaPort, dir),
        ...withTls(replicaTlsPort),
        ...authArgs(auth),
        '--replicaof',
        '127.0.0.1',
        String(masterClientPort),
      ],
      { tlsPort: replicaTlsPort, password: adminPassword(auth) },
    );
    dataNodes.push(replica);
    await replica.start();
    for (let i = 0; i < 3; i++) {
      const port = await freePort();
      const tlsPort = await tlsPortFor();
      const file = join(dir, `sentinel-${port}.conf`);
      // Sentinel rewrites its config file (known replicas, epochs): it must be writable.
      await writeFile(
        file,
        [
          `port ${port}`,
          'bind 127.0.0.1',
          'protected-mode no',
          'daemonize no',
          `dir ${dir}`,
          // Flag/value pairs as config lines: `--tls-port 123` → `tls-port 123`.
          ...pairsToLines(withTls(tlsPort)),
          `sentinel monitor ${name} 127.0.0.1 ${masterClientPort} 2`,
          `sentinel down-after-milliseconds ${name} 1000`,
          `sentinel failover-timeout ${name} 5000`,
          `sentinel parallel-syncs ${name} 1`,
          // The data nodes' password; the Sentinels' own, and what they send to each other.
          ...(auth === undefined
            ? []
            : [
                `sentinel auth-pass ${name} ${adminPassword(auth) as string}`,
                `requirepass ${auth.sentinelPassword}`,
                `sentinel sentinel-pass ${auth.sentinelPassword}`,
              ]),
          '',
        ].join('\n'),
      );
      const sentinel = startNode(port, dir, [file, '--sentinel'], {
        tlsPort,
        password: auth?.sentinelPassword,
      });
      sentinels.push(sentinel);
      await sentinel.start();
    }
    // Every Sentinel knows the replica and the two other Sentinels; the replica is in sync.
    await waitFor(
      async () => {
        for (const s of sentinels) {
          const ok = await withAdmin(s, async (c) => {
            const replicas = (await c.call('SENTINEL', 'REPLICAS', name)) as unknown[];
            const peers = (await c.call('SENTINEL', 'SENTINELS', name)) as unknown[];
            return replicas.length === 1 && peers.length === 2;
          });
          if (!ok) return false;
        }
        const info = await withAdmin(replica, (c) => c.info('replication'));
        return infoField(info, 'master_link_status') === 'up';
      },
      {
        timeoutMs: 60_000,
        intervalMs: 200,
        what: 'Sentinels that know the replica and each other',
      },
    );
  } catch (err) {
    await close();
    throw err;
  }

  const byPort = (port: number): RedisNode => {
    // In a TLS topology the Sentinels name the TLS port.
    const node = dataNodes.find((n) => n.port === port || n.tlsPort === port);
    if (node === undefined) throw new Error(`no data node on port ${port}`);
    return node;
  };
  const namedMaster = async (sentinel: RedisNode): Promise<number> =>
    withAdmin(sentinel, async (c) => {
      const addr = (await c.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', name)) as [string, string];
      return Number(addr[1]);
    });
  const settings: RedisSettings = {
    ...toRedisSettings('redis://127.0.0.1:6379'),
    ...tlsSettings(certs),
    ...authSettings(auth),
    ...(auth === undefined ? {} : { sentinelPassword: auth.sentinelPassword }),
    sentinels: sentinels.map((s) =>
      s.tlsPort === undefined ? s.address : `127.0.0.1:${s.tlsPort}`,
    ),
    sentinelName: name,
  };

  return {
    dataNodes,
    sentinels,
    settings,
    env: {
      REDIS_SENTINELS: settings.sentinels.join(','),
      REDIS_SENTINEL_NAME: name,
      ...tlsEnv(certs),
      ...authEnv(auth),
      ...(auth === undefined ? {} : { REDIS_SENTINEL_PASSWORD: auth.sentinelPassword }),
    },
    master: async () => byPort(await namedMaster(sentinels[0] as RedisNode)),
    async failover() {
      // The Sentinels name a node by the port clients use: the TLS one in a TLS topology.
      const oldPort = await namedMaster(sentinels[0] as RedisNode);
      const next = dataNodes.find((n) => clientPort(n) !== oldPort) as RedisNode;
      await withAdmin(sentinels[0] as RedisNode, (c) => c.call('SENTINEL', 'FAILOVER', name));
      await waitFor(
        async () => {
          for (const s of sentinels) if ((await namedMaster(s)) !== clientPort(next)) return false;
          const role = await withAdmin(next, (c) => c.role());
          if (role[0] !== 'master') return false;
          const info = await withAdmin(byPort(oldPort), (c) => c.info('replication'));
          return (
            infoField(info, 'role') === 'slave' &&
            infoField(info, 'master_port') === String(clientPort(next)) &&
            infoField(info, 'master_link_status') === 'up'
          );
        },
        { timeoutMs: 60_000, intervalMs: 200, what: `Sentinel failover to ${next.address}` },
      );
      return next;
    },
    close,
  };
}
