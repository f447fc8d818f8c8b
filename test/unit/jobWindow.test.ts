/** The job's scheduling and what a unit's outcome comes to: pure, with the clock passed in. */
import { describe, expect, it } from '@jest/globals';
import { newGovernor, onStart, type GovernorState, type UnitThrottled } from '../../src/domain/index.js';
import type { QueuedUnit } from '../../workflows/job/carried.js';
import { groupedAction, MAX_THROTTLES, throttleAction } from '../../workflows/job/outcomes.js';
import {
  batchDone,
  dueIndex,
  groupSize,
  nextStart,
  nextWake,
  PACE_HORIZON_MS,
  type WindowView,
} from '../../workflows/job/window.js';

const NOW = 1_000_000;

function view(over: Partial<WindowView> = {}): WindowView {
  return {
    now: NOW,
    state: 'RUNNING',
    concurrency: 4,
    totalUnits: 1000,
    settled: 0,
    running: 0,
    slots: 0,
    buffered: 0,
    exhausted: false,
    queue: [],
    governor: newGovernor(4, null, false),
    unitMs: null,
    costUsd: 0,
    budgetUsd: null,
    groupShortUnits: true,
    draining: false,
    ...over,
  };
}

const queued = (unitId: number, notBefore: number, phase: 'test' | 'batch' = 'batch'): QueuedUnit => ({
  unitId,
  key: `k${unitId}`,
  phase,
  runKey: `r/${unitId}`,
  throttles: 0,
  notBefore,
  again: 1,
});

describe('the window', () => {
  it('pages first, then starts units one at a time until it knows how long they take', () => {
    expect(nextStart(view())).toEqual({ kind: 'page', limit: 50 });
    expect(nextStart(view({ buffered: 50 }))).toEqual({ kind: 'units', count: 1 });
    expect(nextStart(view({ buffered: 0, exhausted: true }))).toEqual({ kind: 'none' });
  });

  it('starts nothing while full, paused, over budget, paced beyond the horizon or draining', () => {
    expect(nextStart(view({ buffered: 9, slots: 4 }))).toEqual({ kind: 'none' });
    expect(nextStart(view({ buffered: 9, state: 'PAUSED' }))).toEqual({ kind: 'none' });
    expect(nextStart(view({ buffered: 9, costUsd: 2, budgetUsd: 2 }))).toEqual({ kind: 'none' });
    expect(nextStart(view({ buffered: 9, draining: true }))).toEqual({ kind: 'none' });
    const paced: GovernorState = { ...onStart({ ...newGovernor(4, null, false), pace: 0.1 }, NOW), pace: 0.1 };
    expect(nextStart(view({ buffered: 9, governor: paced }))).toEqual({ kind: 'none' });
    expect(nextStart(view({ buffered: 9, governor: paced, now: NOW + 10_000 - PACE_HORIZON_MS + 1 }))).toMatchObject({
      kind: 'units',
    });
  });

  it('takes a queued unit that is due before new ones, the one due first', () => {
    const queue = [queued(7, NOW + 5000), queued(8, NOW - 10), queued(9, NOW - 500), queued(3, NOW - 900, 'test')];
    expect(nextStart(view({ buffered: 9, queue }))).toEqual({ kind: 'queued', index: 2 });
    expect(dueIndex(queue, 'test', NOW)).toBe(3);
    expect(dueIndex(queue, 'batch', NOW - 1000)).toBe(-1);
  });

  it('groups short units: about eight seconds of them, at most 50, fewer near the end and within the budget', () => {
    expect(groupSize(view({ unitMs: 100 }))).toBe(50);
    expect(groupSize(view({ unitMs: 1000 }))).toBe(8);
    expect(groupSize(view({ unitMs: 5000 }))).toBe(1);
    // 40 units left, 4 slots: 10 each.
    expect(groupSize(view({ unitMs: 100, settled: 950, running: 10 }))).toBe(10);
    expect(groupSize(view({ unitMs: 100, groupShortUnits: false }))).toBe(1);
    expect(groupSize(view({ unitMs: 100, governor: { ...newGovernor(4, null, false), pace: 2 } }))).toBe(1);
    // $1 of budget left at $0.10 a settled unit, 2 of them running: 8 more.
    expect(groupSize(view({ unitMs: 100, costUsd: 1, budgetUsd: 2, settled: 10, running: 2 }))).toBe(8);
    expect(nextStart(view({ unitMs: 100, buffered: 20 }))).toEqual({ kind: 'page', limit: 200 });
    expect(nextStart(view({ unitMs: 100, buffered: 20, exhausted: true }))).toEqual({ kind: 'units', count: 20 });
  });

  it('wakes for the first queued unit, the pace, a usage pause or the expiry, whichever is next', () => {
    const queue = [queued(1, NOW + 3000), queued(2, NOW - 1)];
    expect(nextWake(view({ queue }), null, null)).toBe(NOW + 3000);
    expect(nextWake(view({ queue }), NOW + 2000, null)).toBe(NOW + 2000);
    expect(nextWake(view({ queue }), null, NOW + 1000)).toBe(NOW + 1000);
    expect(nextWake(view({ exhausted: true }), null, null)).toBeNull();
  });

  it('is done when nothing runs or waits and every unit settled, or none is left to page', () => {
    expect(batchDone(view({ settled: 1000 }))).toBe(true);
    expect(batchDone(view({ settled: 1000, running: 1 }))).toBe(false);
    expect(batchDone(view({ settled: 10, exhausted: true }))).toBe(true);
    expect(batchDone(view({ settled: 10, exhausted: true, buffered: 1 }))).toBe(false);
    expect(batchDone(view({ settled: 1000, queue: [queued(1, 0)] }))).toBe(false);
  });
});

describe("what a unit's outcome comes to", () => {
  const ctx = { now: NOW, retryDelayMs: 2000, stoppedAs: 'cancelled' as const };
  const unit = { unitId: 5, key: 'k5', phase: 'batch' as const };

  it('a unit a group never started goes back at once; a retryable failure after its delay; else it is recorded', () => {
    expect(groupedAction({ ...unit, status: 'notStarted' }, ctx)).toEqual({
      do: 'requeue',
      notBefore: 0,
      throttles: 0,
    });
    const failed = { ...unit, status: 'attemptFailed' as const, error: 'AgentFailed: x', nextRetryDelayMs: null };
    expect(groupedAction({ ...failed, retryable: true }, ctx)).toEqual({
      do: 'requeue',
      notBefore: NOW + 2000,
      throttles: 0,
    });
    expect(groupedAction({ ...failed, retryable: true, nextRetryDelayMs: 9000 }, ctx)).toMatchObject({
      notBefore: NOW + 9000,
    });
    expect(groupedAction({ ...failed, retryable: false }, ctx)).toEqual({
      do: 'record',
      status: 'failed',
      error: 'AgentFailed: x',
    });
    expect(groupedAction({ ...unit, status: 'cancelled', costUsd: 0, error: 'cancelled' }, ctx)).toEqual({
      do: 'record',
      status: 'cancelled',
      error: 'cancelled',
    });
    const ok = { ...unit, status: 'succeeded' as const, costUsd: 0.1, error: null };
    expect(groupedAction(ok, ctx)).toEqual({ do: 'settle', finished: ok });
  });

  it('a refused unit waits for the API, counts its refusals, fails past the limit, and a spent window pauses', () => {
    const refused: UnitThrottled = {
      ...unit,
      status: 'throttled',
      throttle: 'rateLimited',
      error: 'AgentRateLimited: 429',
      retryAt: NOW + 4000,
      startedAt: NOW - 500,
      attempts: 1,
    };
    const g = newGovernor(4, null, false);
    const first = throttleAction(g, refused, { now: NOW, throttlesBefore: 0, runningThen: 4 });
    expect(first.action).toEqual({ do: 'requeue', notBefore: NOW + 4000, throttles: 1 });
    expect(first.governor.limit).toBeLessThan(4);
    expect(first.usagePauseUntil).toBeNull();
    const last = throttleAction(g, refused, { now: NOW, throttlesBefore: MAX_THROTTLES, runningThen: 1 });
    expect(last.action).toEqual({ do: 'record', status: 'failed', error: 'AgentRateLimited: 429 (refused 26 times)' });
    const usage = throttleAction(
      g,
      { ...refused, throttle: 'usageLimited', retryAt: NOW + 60_000 },
      {
        now: NOW,
        throttlesBefore: 0,
        runningThen: 1,
      },
    );
    expect(usage.usagePauseUntil).toBe(NOW + 60_000);
  });
});
