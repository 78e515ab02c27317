import type { AgoraOp, Region } from '../agora/types.js';
import { isRegion } from './parse-api-request.js';
import { defaultMessage } from './agora-messages.js';
import {
  API_OPS,
  SimulatorInputError,
  isErrorStatus,
  isNonNegativeInt,
  isRate,
} from './simulator-options.js';
import type { FaultRule, FaultsPatch, SimulatorFaults } from './simulator-options.js';

export interface FaultTarget {
  op: AgoraOp;
  appId: string;
  region?: Region;
  streamKey?: string;
  sid?: string;
}

/** What to do instead of serving a request; undefined = serve it. */
export type FaultDecision =
  { kind: 'error'; status: number; message: string } | { kind: 'timeout' };

export interface FaultInjector {
  /** A copy of the current faults (rules with their remaining counts). */
  faults(): SimulatorFaults;
  latencyMs(): number;
  inOutage(nowMs: number): boolean;
  /** Validates and merges a PUT /_sim/faults body; throws SimulatorInputError naming the field. */
  apply(patch: unknown, nowMs: number): void;
  reset(initial: SimulatorFaults): void;
  /** Rules first (a match spends one count), then errorRate, then timeoutRate. */
  decide(target: FaultTarget, random?: () => number): FaultDecision | undefined;
}

export function noFaults(): SimulatorFaults {
  return {
    latencyMs: 0,
    errorRate: 0,
    errorStatus: 503,
    timeoutRate: 0,
    outageUntil: 0,
    rules: [],
  };
}

const OP_SET: ReadonlySet<string> = new Set(API_OPS);
const PATCH_FIELDS: ReadonlySet<string> = new Set([
  'latencyMs',
  'errorRate',
  'errorStatus',
  'errorOps',
  'timeoutRate',
  'timeoutOps',
  'outageMs',
  'rules',
]);
const RULE_FIELDS: ReadonlySet<string> = new Set([
  'op',
  'appId',
  'region',
  'streamKey',
  'sid',
  'status',
  'message',
  'count',
]);

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function parseOps(field: string, v: unknown): AgoraOp[] | undefined {
  if (v === null) return undefined;
  if (!Array.isArray(v) || !v.every((op) => typeof op === 'string' && OP_SET.has(op))) {
    throw new SimulatorInputError(`${field} must be an array of ${API_OPS.join(', ')}`);
  }
  return v.length === 0 ? undefined : (v as AgoraOp[]);
}

function optionalString(where: string, v: unknown): string | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw new SimulatorInputError(`${where} must be a string`);
  return v;
}

/** Validates one rule; exported for tests. */
export function parseRule(v: unknown, index: number): FaultRule {
  const where = `rules[${index}]`;
  if (!isObject(v)) throw new SimulatorInputError(`${where} must be an object`);
  for (const key of Object.keys(v)) {
    if (!RULE_FIELDS.has(key)) {
      throw new SimulatorInputError(
        `${where}.${key} is unknown; allowed: ${[...RULE_FIELDS].join(', ')}`,
      );
    }
  }
  if (!isErrorStatus(v.status)) {
    throw new SimulatorInputError(`${where}.status must be an integer 400..599`);
  }
  const rule: FaultRule = { status: v.status };
  if (v.op !== undefined) {
    if (typeof v.op !== 'string' || !OP_SET.has(v.op)) {
      throw new SimulatorInputError(`${where}.op must be one of ${API_OPS.join(', ')}`);
    }
    rule.op = v.op as AgoraOp;
  }
  const appId = optionalString(`${where}.appId`, v.appId);
  if (appId !== undefined) rule.appId = appId;
  const streamKey = optionalString(`${where}.streamKey`, v.streamKey);
  if (streamKey !== undefined) rule.streamKey = streamKey;
  const sid = optionalString(`${where}.sid`, v.sid);
  if (sid !== undefined) rule.sid = sid;
  const region = optionalString(`${where}.region`, v.region);
  if (region !== undefined) {
    if (!isRegion(region))
      throw new SimulatorInputError(`${where}.region must be one of na, eu, ap, cn`);
    rule.region = region;
  }
  const message = optionalString(`${where}.message`, v.message);
  if (message !== undefined) rule.message = message;
  if (v.count !== undefined && v.count !== null) {
    if (!isNonNegativeInt(v.count) || v.count < 1) {
      throw new SimulatorInputError(`${where}.count must be an integer >= 1 (omit for forever)`);
    }
    rule.count = v.count;
  }
  return rule;
}

function matches(rule: FaultRule, t: FaultTarget): boolean {
  return (
    (rule.op === undefined || rule.op === t.op) &&
    (rule.appId === undefined || rule.appId === t.appId) &&
    (rule.region === undefined || rule.region === t.region) &&
    (rule.streamKey === undefined || rule.streamKey === t.streamKey) &&
    (rule.sid === undefined || rule.sid === t.sid)
  );
}

function copyFaults(f: SimulatorFaults): SimulatorFaults {
  const out: SimulatorFaults = { ...f, rules: f.rules.map((r) => ({ ...r })) };
  if (f.errorOps !== undefined) out.errorOps = [...f.errorOps];
  if (f.timeoutOps !== undefined) out.timeoutOps = [...f.timeoutOps];
  return out;
}

export function createFaultInjector(initial: SimulatorFaults): FaultInjector {
  let f = copyFaults(initial);

  return {
    faults: () => copyFaults(f),
    latencyMs: () => f.latencyMs,
    inOutage: (nowMs) => f.outageUntil > nowMs,
    reset(next) {
      f = copyFaults(next);
    },
    apply(patch, nowMs) {
      if (!isObject(patch)) throw new SimulatorInputError('faults body must be a JSON object');
      for (const key of Object.keys(patch)) {
        if (!PATCH_FIELDS.has(key)) {
          throw new SimulatorInputError(
            `${key} is not a fault; allowed: ${[...PATCH_FIELDS].join(', ')}`,
          );
        }
      }
      const p = patch as Record<keyof FaultsPatch, unknown>;
      // Validate everything before changing anything, so a bad body leaves faults as they were.
      const next = copyFaults(f);
      if (p.latencyMs !== undefined) {
        if (p.latencyMs !== null && (!isNonNegativeInt(p.latencyMs) || p.latencyMs > 600_000)) {
          throw new SimulatorInputError('latencyMs must be an integer 0..600000');
        }
        next.latencyMs = p.latencyMs ?? 0;
      }
      if (p.errorRate !== undefined) {
        if (p.errorRate !== null && !isRate(p.errorRate)) {
          throw new SimulatorInputError('errorRate must be a number 0..1');
        }
        next.errorRate = p.errorRate ?? 0;
      }
      if (p.errorStatus !== undefined) {
        if (p.errorStatus !== null && !isErrorStatus(p.errorStatus)) {
          throw new SimulatorInputError('errorStatus must be an integer 400..599');
        }
        next.errorStatus = p.errorStatus ?? 503;
      }
      if (p.errorOps !== undefined) {
        const ops = parseOps('errorOps', p.errorOps);
        if (ops === undefined) delete next.errorOps;
        else next.errorOps = ops;
      }
      if (p.timeoutRate !== undefined) {
        if (p.timeoutRate !== null && !isRate(p.timeoutRate)) {
          throw new SimulatorInputError('timeoutRate must be a number 0..1');
        }
        next.timeoutRate = p.timeoutRate ?? 0;
      }
      if (p.timeoutOps !== undefined) {
        const ops = parseOps('timeoutOps', p.timeoutOps);
        if (ops === undefined) delete next.timeoutOps;
        else next.timeoutOps = ops;
      }
      if (p.outageMs !== undefined) {
        if (p.outageMs !== null && !isNonNegativeInt(p.outageMs)) {
          throw new SimulatorInputError('outageMs must be an integer >= 0');
        }
        next.outageUntil = p.outageMs === null || p.outageMs === 0 ? 0 : nowMs + p.outageMs;
      }
      if (p.rules !== undefined) {
        if (p.rules !== null && !Array.isArray(p.rules)) {
          throw new SimulatorInputError('rules must be an array (or null to clear)');
        }
        next.rules = p.rules === null ? [] : p.rules.map((r, i) => parseRule(r, i));
      }
      f = next;
    },
    decide(t, random = Math.random) {
      for (let i = 0; i < f.rules.length; i += 1) {
        const rule = f.rules[i];
        if (rule === undefined || !matches(rule, t)) continue;
        if (rule.count !== undefined) {
          rule.count -= 1;
          if (rule.count <= 0) f.rules.splice(i, 1);
        }
        return {
          kind: 'error',
          status: rule.status,
          message: rule.message ?? defaultMessage(rule.status),
        };
      }
      if (
        f.errorRate > 0 &&
        (f.errorOps === undefined || f.errorOps.includes(t.op)) &&
        random() < f.errorRate
      ) {
        return { kind: 'error', status: f.errorStatus, message: defaultMessage(f.errorStatus) };
      }
      if (
        f.timeoutRate > 0 &&
        (f.timeoutOps === undefined || f.timeoutOps.includes(t.op)) &&
        random() < f.timeoutRate
      ) {
        return { kind: 'timeout' };
      }
      return undefined;
    },
  };
}
