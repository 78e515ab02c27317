import { describe, expect, it } from 'vitest';
import { initialDemoState } from '../../../src/demo/demo-state.js';
import type { DemoState } from '../../../src/demo/demo-state.js';
import { buildSummary, formatSummary } from '../../../src/demo/summary.js';
import type { DeadLetterEntry } from '../../../src/jobs/index.js';

function finishedState(): DemoState {
  const state = initialDemoState(1_000, 200);
  state.batch = { total: 200, enqueued: 200, done: 200, takenDown: 200 };
  state.urgent = {
    status: 'done',
    outcome: 'taken-down',
    batchDoneAtEnqueue: 30,
    batchDoneAtFinish: 55,
  };
  state.expiry = {
    status: 'done',
    outcome: 'taken-down',
    dueAt: 7_000,
    startedAt: 7_050,
    finishedAt: 8_000,
  };
  state.offline = { status: 'done', outcome: 'already-offline' };
  state.dlq = { status: 'dead-lettered' };
  state.sim.refusedReconnects = 150;
  state.foundByVerify = 2;
  return state;
}

function deadLetter(jobId: string): DeadLetterEntry {
  return {
    v: 1,
    jobId,
    payload: {},
    failedStep: 'revoke-key',
    attempts: 1,
    reason: 'permanent',
    error: {
      name: 'AgoraHttpError',
      status: 403,
      message: 'HTTP 403 "Stream does not belong to this app ID."',
      requestId: 'r-1',
    },
    failedAt: '2026-01-01T00:00:00.000Z',
  };
}

const base = {
  checkedKeys: 202,
  expectedDeadJobId: 'td-dead',
  durationMs: 10_000,
  limits: { deleteRps: 50, queryRps: 100 },
};

describe('buildSummary', () => {
  it('reports the promised numbers and no problem when everything held', () => {
    const summary = buildSummary({
      ...base,
      state: finishedState(),
      stillLiveKeys: [],
      deadLetters: [deadLetter('td-dead')],
    });
    expect(summary).toMatchObject({
      takenDown: 202,
      alreadyOffline: 1,
      reconnectsBlocked: 152,
      stillLive: 0,
      inDlq: 1,
      urgentAfter: 55,
      problems: [],
    });
    expect(summary.dlqReason).toBe(
      'permanent at step revoke-key: HTTP 403 "Stream does not belong to this app ID." (X-Request-ID r-1)',
    );
    const lines = formatSummary(summary, 10_000);
    expect(lines).toContainEqual(expect.stringMatching(/^ {2}still live\s+0\s/));
    expect(lines).toContainEqual(expect.stringMatching(/^ {2}in the DLQ\s+1\s+permanent/));
  });

  it('names every broken promise: a live stream, a wrong DLQ, a late urgent takedown', () => {
    const state = finishedState();
    state.urgent.batchDoneAtFinish = 150;
    state.offline.outcome = 'taken-down';
    const summary = buildSummary({
      ...base,
      state,
      stillLiveKeys: ['key-1'],
      deadLetters: [deadLetter('td-dead'), deadLetter('td-other')],
    });
    expect(summary.stillLive).toBe(1);
    expect(summary.inDlq).toBe(2);
    expect(summary.problems).toEqual([
      'the urgent takedown finished only after 150 of 200 batch takedowns',
      "the offline stream's takedown ended taken-down, not already-offline",
      'the DLQ holds 2 entries; expected exactly the one failing takedown',
      'still live after the takedown: key-1',
    ]);
    expect(formatSummary(summary, 1).join('\n')).toContain('The demo did not go as expected:');
  });
});
