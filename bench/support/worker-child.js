// Child process entry: one worker under test, driven over IPC by bench/support/worker-host.ts
// (messages: worker-child-protocol.ts). Plain JavaScript on the built dist/, so what runs is the
// shipped code with no TypeScript loader in the process: its CPU and RSS are the worker's own,
// not the simulator's (which runs in the bench process) nor a transpiler's.
import { performance } from 'node:perf_hooks';
import process from 'node:process';
import { setTimeout } from 'node:timers';
import { Queue, Worker } from 'bullmq';
import { pino } from 'pino';
import { createAgoraClient } from '../../dist/agora/index.js';
import { loadConfig } from '../../dist/config/index.js';
import { TAKEDOWN_QUEUE } from '../../dist/jobs/index.js';
import { createLogger } from '../../dist/logging/index.js';
import { createRedisConnection } from '../../dist/redis/index.js';
import { createRateLimiter, createTakedownWorker } from '../../dist/worker/index.js';

/** @typedef {import('./worker-child-protocol.js').ParentMessage} ParentMessage */
/** @typedef {import('./worker-child-protocol.js').ChildMessage} ChildMessage */
/** @typedef {{ worker: Worker, queue: Queue, close(): Promise<void> }} Running */

/** @type {Running | undefined} */
let running;
let totalCompleted = 0;
let totalFailed = 0;
/** @type {string | undefined} */
let firstFailure;
/** @type {{ target: number, resolve: () => void } | undefined} */
let waiter;

/** @param {ChildMessage} msg */
function send(msg) {
  process.send?.(msg);
}

function onCompleted() {
  totalCompleted++;
  if (waiter !== undefined && totalCompleted >= waiter.target) {
    const w = waiter;
    waiter = undefined;
    w.resolve();
  }
}

/** @param {unknown} _job @param {Error} err */
function onFailed(_job, err) {
  totalFailed++;
  firstFailure ??= `${err.name}: ${err.message}`;
}

/** @param {import('./worker-child-protocol.js').InitMessage} msg @returns {Promise<Running>} */
async function start(msg) {
  const config = loadConfig({ env: msg.env });
  // As production logs (createLogger, configured level), written to /dev/null instead of stderr.
  const logger = createLogger({
    level: config.log.level,
    destination: pino.destination({ dest: '/dev/null', sync: true }),
  });
  const agora = createAgoraClient({
    baseUrl: config.agora.baseUrl,
    auth: {
      scheme: config.agora.auth,
      customerId: config.agora.customerId ?? '',
      customerSecret: config.agora.customerSecret ?? '',
    },
    timeoutMs: config.agora.timeoutMs,
    logger,
  });
  // Only for resume(): its own connection, so the worker's are exactly what production opens.
  const queueRedis = createRedisConnection(config.redis, { role: 'worker' });
  const queue = new Queue(TAKEDOWN_QUEUE, { connection: queueRedis, prefix: config.prefix });
  const closeQueue = async () => {
    await queue.close();
    await queueRedis.quit().catch(() => queueRedis.disconnect());
  };

  if (msg.kind === 'takedown') {
    const limiterRedis = createRedisConnection(config.redis, { role: 'worker', lazyConnect: true });
    const limiter = createRateLimiter({
      redis: limiterRedis,
      prefix: config.prefix,
      ...(msg.limiterMaxHoldMs === undefined ? {} : { maxHoldMs: msg.limiterMaxHoldMs }),
      // The config cannot turn the limiter off (its limits are >= 1); the limiter can (0).
      limits: msg.limiterOff
        ? { create: 0, delete: 0, query: 0 }
        : {
            create: config.agora.createRps,
            delete: config.agora.deleteRps,
            query: config.agora.queryRps,
          },
    });
    const tw = await createTakedownWorker({
      redis: config.redis,
      prefix: config.prefix,
      worker: config.worker,
      takedown: config.takedown,
      keyRegions: config.agora.keyRegions,
      agora,
      limiter,
      logger,
      retryAfterMaxMs: config.agora.retryAfterMaxMs,
    });
    tw.worker.on('completed', onCompleted);
    tw.worker.on('failed', onFailed);
    return {
      worker: tw.worker,
      queue,
      async close() {
        await tw.close({ deadlineMs: 5000 });
        await limiter.close();
        await agora.close();
        limiterRedis.disconnect();
        await closeQueue();
      },
    };
  }

  // Baseline: bare BullMQ with the same client and concurrency; no limiter, no step cursor.
  const connection = createRedisConnection(config.redis, { role: 'worker' });
  const worker = new Worker(
    TAKEDOWN_QUEUE,
    async (job) => {
      const p = job.data.payload;
      // The same calls the takedown makes: the key/SID check queries the SID first.
      await agora.queryOnlineStream({ region: p.region, appId: p.appId, sid: p.sid });
      await agora.deleteStreamKey({ region: p.region, appId: p.appId, streamKey: p.streamKey });
      await agora.disconnectStream({ region: p.region, appId: p.appId, sid: p.sid });
      return { ok: true };
    },
    {
      connection,
      prefix: config.prefix,
      concurrency: config.worker.concurrency,
      lockDuration: config.worker.lockDurationMs,
      stalledInterval: config.worker.stalledIntervalMs,
    },
  );
  worker.on('completed', onCompleted);
  worker.on('failed', onFailed);
  worker.on('error', (err) => process.stderr.write(`bare worker error: ${err.message}\n`));
  await worker.waitUntilReady();
  return {
    worker,
    queue,
    async close() {
      await worker.close();
      await agora.close();
      await closeQueue();
      await connection.quit().catch(() => connection.disconnect());
    },
  };
}

/** @param {Running} r @param {import('./worker-child-protocol.js').RunMessage} msg */
async function run(r, msg) {
  const before = totalCompleted;
  const failedBefore = totalFailed;
  const target = before + msg.target;
  /** @type {Promise<void>} */
  const done = new Promise((resolve) => {
    if (totalCompleted >= target) resolve();
    else waiter = { target, resolve };
  });
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  if (msg.resume) await r.queue.resume();
  await done;
  const elapsedMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  send({
    type: 'run-result',
    completed: totalCompleted - before,
    failed: totalFailed - failedBefore,
    ...(firstFailure === undefined ? {} : { firstFailure }),
    elapsedMs,
    cpuUs: cpu.user + cpu.system,
  });
}

function sample() {
  /** @type {(() => void) | undefined} */
  const gc = /** @type {{ gc?: () => void }} */ (globalThis).gc;
  // Two passes: the first can leave finalizable objects for the second.
  gc?.();
  gc?.();
  const m = process.memoryUsage();
  send({
    type: 'sample-result',
    rss: m.rss,
    heapUsed: m.heapUsed,
    heapTotal: m.heapTotal,
    external: m.external,
    arrayBuffers: m.arrayBuffers,
    totalCompleted,
  });
}

/** @param {ParentMessage} msg */
async function handle(msg) {
  switch (msg.type) {
    case 'init':
      running = await start(msg);
      send({ type: 'ready' });
      return;
    case 'run':
      if (running === undefined) throw new Error('run before init');
      await run(running, msg);
      return;
    case 'sample':
      sample();
      return;
    case 'close':
      await running?.close();
      running = undefined;
      send({ type: 'closed' });
      process.disconnect?.();
      return;
  }
}

process.on('message', (/** @type {ParentMessage} */ msg) => {
  handle(msg).catch((err) => {
    send({
      type: 'error',
      message: err instanceof Error ? (err.stack ?? err.message) : String(err),
    });
  });
});
// The parent going away (bench killed) must not leave this process behind.
process.on('disconnect', () => {
  setTimeout(() => process.exit(0), 200).unref();
});
