/**
 * The job's scheduling, pure and with the time passed in: what to start next in the sliding
 * window (a queued unit, a page of pending units to read, new units alone or in a group), how
 * big a group is, and when the job must next wake (a queued unit, the governor's pace, a usage
 * pause, the expiry). Tested with an injected clock (test/unit/jobWindow.test.ts).
 */
import {
  allowedRunning,
  budgetReached,
  nextStartAt,
  unitsWithinBudget,
  type GovernorState,
  type JobState,
  type Phase,
} from '../../src/domain/index.js';
import type { QueuedUnit } from './carried.js';

/**
 * A group lasts about this long, so units shorter than half of it (on a moving average of the
 * job's recent ones) run in groups. Measured: a Temporal round trip between two units of a slot
 * cost ~150 ms of wall time on this 2-core machine, so 2 s units alone reached 0.91 efficiency.
 */
export const GROUP_MS = 8000;
export const MAX_GROUP_SIZE = 50;
/**
 * A paced job starts the units due within this long at once, each told to wait its turn: the
 * server fires timers about a second late at best (measured: a 0.5 s pace ran at 1 unit/s).
 */
export const PACE_HORIZON_MS = 1000;

/** What the window's decisions depend on. */
export interface WindowView {
  now: number;
  state: JobState;
  concurrency: number;
  totalUnits: number;
  settled: number;
  /** Units handed to activities and not settled (some wait their turn in a group). */
  running: number;
  /** Activities in flight: each runs one unit at a time. */
  slots: number;
  /** Units paged from Postgres, not started yet. */
  buffered: number;
  /** The last page was short: no pending unit is left to page. */
  exhausted: boolean;
  queue: readonly QueuedUnit[];
  governor: GovernorState;
  unitMs: number | null;
  costUsd: number;
  budgetUsd: number | null;
  groupShortUnits: boolean;
  /** Continue-as-new is due: start nothing more, so the running units drain. */
  draining: boolean;
}

export type NextStart =
  | { kind: 'queued'; index: number }
  | { kind: 'page'; limit: number }
  | { kind: 'units'; count: number }
  | { kind: 'none' };

export function nextStart(v: WindowView): NextStart {
  const open =
    v.state === 'RUNNING' &&
    v.slots < allowedRunning(v.governor, v.concurrency) &&
    nextStartAt(v.governor) < v.now + PACE_HORIZON_MS &&
    !budgetReached(v.costUsd, v.budgetUsd) &&
    !v.draining;
  if (!open) return { kind: 'none' };
  const due = dueIndex(v.queue, 'batch', v.now);
  if (due >= 0) return { kind: 'queued', index: due };
  const size = groupSize(v);
  if (v.buffered < size && !v.exhausted) return { kind: 'page', limit: pageSize(v.concurrency, size) };
  if (v.buffered === 0) return { kind: 'none' };
  return { kind: 'units', count: Math.min(size, v.buffered) };
}

/** How many units the next activity takes: one, unless units are short and enough remain for every slot. */
export function groupSize(v: WindowView): number {
  // Paced, each unit is a request of its own: a group would run its units faster than the pace.
  // Starting slowly, each unit's first answer lets one more run: a group answers only when it
  // ends (measured: a job held at 12 of 16 slots for its first 4 s of 8.5).
  if (!v.groupShortUnits || v.unitMs === null || v.governor.pace !== null || v.governor.slowStart) return 1;
  const unstarted = v.totalUnits - v.settled - v.running;
  // Groups shrink once fewer units are left than a group for every slot, so the last ones finish
  // together rather than one slot late; sooner (at twice that) the end ran more, smaller groups,
  // each a Temporal round trip (measured at 2 s units: 0.950 efficiency, 0.957–0.960 now).
  const enoughForEverySlot = Math.floor(unstarted / v.concurrency);
  const withinBudget = unitsWithinBudget({
    costUsd: v.costUsd,
    budgetUsd: v.budgetUsd,
    settled: v.settled,
    running: v.running,
  });
  return Math.max(
    1,
    Math.min(MAX_GROUP_SIZE, Math.floor(GROUP_MS / Math.max(v.unitMs, 1)), enoughForEverySlot, withinBudget),
  );
}

/** Units per page from Postgres: enough for a few rounds of the window, at most 1000. */
export function pageSize(concurrency: number, groupSize: number): number {
  return Math.min(Math.max(concurrency * 2, 50, groupSize * 4), 1000);
}

/** The queued unit of `phase` due first, if one is due at `now` (its index), else -1. */
export function dueIndex(queue: readonly QueuedUnit[], phase: Phase, now: number): number {
  let best = -1;
  queue.forEach((q, i) => {
    if (q.phase === phase && q.notBefore <= now && (best < 0 || q.notBefore < queue[best]!.notBefore)) best = i;
  });
  return best;
}

/** When a queued unit, the governor's pace or hold, a usage pause or the expiry next comes due, if any. */
export function nextWake(
  v: Pick<WindowView, 'now' | 'state' | 'buffered' | 'exhausted' | 'queue' | 'governor'>,
  pausedUntil: number | null,
  expiresAt: number | null,
): number | null {
  const more = v.state === 'RUNNING' && (v.buffered > 0 || !v.exhausted || v.queue.length > 0);
  const paced = more ? nextStartAt(v.governor) - PACE_HORIZON_MS : 0;
  const times = [...v.queue.map((q) => q.notBefore), paced, pausedUntil ?? 0, expiresAt ?? 0];
  const future = times.filter((t) => t > v.now);
  return future.length === 0 ? null : Math.min(...future);
}

/** Nothing in flight or queued, and every unit settled (known without another page) or none left to page. */
export function batchDone(
  v: Pick<WindowView, 'running' | 'queue' | 'settled' | 'totalUnits' | 'exhausted' | 'buffered'>,
): boolean {
  return v.running === 0 && v.queue.length === 0 && (v.settled >= v.totalUnits || (v.exhausted && v.buffered === 0));
}
