import { createHash, createHmac } from 'node:crypto';
import { afterEach } from 'vitest';
import { createSimulator } from '../../../src/simulator/index.js';
import type { Simulator, SimulatorOptions } from '../../../src/simulator/index.js';
import { createSimAdmin } from '../../support/sim-admin.js';
import type { SimAdmin } from '../../support/sim-admin.js';

export const CUSTOMER_ID = 'demo-customer';
export const CUSTOMER_SECRET = 'demo-secret';
export const BASIC = `Basic ${Buffer.from(`${CUSTOMER_ID}:${CUSTOMER_SECRET}`).toString('base64')}`;

/** Registers an afterEach that closes every simulator the test started. */
export function useSimulators(): (
  options?: SimulatorOptions,
) => Promise<{ sim: Simulator; admin: SimAdmin }> {
  const open: Simulator[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((s) => s.close()));
  });
  return async (options = {}) => {
    const sim = await createSimulator(options);
    open.push(sim);
    return { sim, admin: createSimAdmin(sim.url) };
  };
}

export function apiPath(region: string, appId: string, rest: string): string {
  return `/${region}/v1/projects/${appId}/rtls/ingress/${rest}`;
}

export interface ApiAnswer {
  status: number;
  requestId: string | null;
  body: Record<string, unknown>;
}

export async function api(
  sim: Simulator,
  method: string,
  path: string,
  init: { body?: unknown; headers?: Record<string, string>; signal?: AbortSignal } = {},
): Promise<ApiAnswer> {
  const headers: Record<string, string> = { authorization: BASIC, ...init.headers };
  const req: RequestInit = { method, headers };
  if (init.body !== undefined) {
    req.body = typeof init.body === 'string' ? init.body : JSON.stringify(init.body);
    headers['content-type'] = 'application/json';
  }
  if (init.signal !== undefined) req.signal = init.signal;
  const res = await fetch(`${sim.url}${path}`, req);
  const text = await res.text();
  return {
    status: res.status,
    requestId: res.headers.get('x-request-id'),
    body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>),
  };
}

/** Creates a key over the API and returns its data. */
export async function createKey(
  sim: Simulator,
  region: string,
  appId: string,
  settings: Record<string, unknown> = { channel: 'ch1', uid: '1001', expiresAfter: 0 },
): Promise<{
  streamKey: string;
  channel: string;
  uid: string;
  expiresAfter: number;
  createdAt: string;
}> {
  const res = await api(sim, 'POST', apiPath(region, appId, 'streamkeys'), { body: { settings } });
  if (res.status !== 200) throw new Error(`create key answered ${res.status}`);
  return res.body.data as {
    streamKey: string;
    channel: string;
    uid: string;
    expiresAfter: number;
    createdAt: string;
  };
}

/**
 * HMAC headers per reference §5.2, written out independently of src/agora/hmac.ts so the
 * simulator's check is tested against the recipe, not against itself.
 */
export function hmacHeaders(input: {
  host: string;
  method: string;
  pathWithQuery: string;
  body: string;
  date?: string;
  secret?: string;
  customerId?: string;
}): Record<string, string> {
  const date = input.date ?? new Date().toUTCString();
  const digest = `SHA-256=${createHash('sha256').update(input.body).digest('base64')}`;
  const signing = `host: ${input.host}\ndate: ${date}\n${input.method} ${input.pathWithQuery} HTTP/1.1\ndigest: ${digest}`;
  const signature = createHmac('sha256', input.secret ?? CUSTOMER_SECRET)
    .update(signing)
    .digest('base64');
  return {
    authorization: `hmac username="${input.customerId ?? CUSTOMER_ID}", algorithm="hmac-sha256", headers="host date request-line digest", signature="${signature}"`,
    date,
    digest,
  };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `check` until it returns a value or `timeoutMs` passes. */
export async function waitFor<T>(
  check: () => Promise<T | undefined>,
  timeoutMs = 3000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await sleep(20);
  }
}
