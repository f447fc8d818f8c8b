/**
 * Records one attempt and its conversation with as few round trips as the guarantees allow.
 * Most short units end within a second: their attempt, events and unit are written in one
 * statement at the end (with the times the events arrived). An attempt that runs longer is
 * written after `writeAfterMs` (or once many events wait), and from then on every event as it
 * arrives, so a running unit's conversation can be followed live. A worker that dies inside that
 * first second loses only the record of an attempt that then runs again.
 */
import type { UnitFinished } from '../src/domain/index.js';
import {
  appendEvents,
  finishAttempt,
  startAttempt,
  storeWholeAttempt,
  type AttemptOutcome,
  type NewAttempt,
  type TimedEvent,
} from '../src/store/attempts.js';
import type { Db } from '../src/store/db.js';
import { completeUnit } from '../src/store/units.js';

/** Buffered events beyond this are written at once, whatever the time. */
const MAX_BUFFERED_EVENTS = 200;

export interface AttemptRecorder {
  /** Events in the order they arrived; resolves once the recorder can take more. */
  add(events: readonly Omit<TimedEvent, 'at'>[]): Promise<void>;
  /** How many events so far. */
  readonly count: number;
  /**
   * The attempt's outcome; on success the unit is settled too, and what its execution spent
   * returned, with the attempt's row id.
   */
  finish(
    outcome: AttemptOutcome,
    success: { result: string | null; sessionId: string | null; output?: unknown } | null,
  ): Promise<Pick<UnitFinished, 'costUsd'> & { attemptId: number }>;
}

export function recordAttempt(db: Db, attempt: NewAttempt, writeAfterMs: number): AttemptRecorder {
  let buffered: TimedEvent[] = [];
  let count = 0;
  let attemptId: number | null = null;
  /** Writes in order; a failed one fails the next `add` or `finish`. */
  let writes: Promise<void> | null = null;

  const chain = (write: () => Promise<void>): Promise<void> => (writes = (writes ?? Promise.resolve()).then(write));

  const writeRow = (): void => {
    if (writes) return;
    void chain(async () => {
      const events = buffered;
      buffered = [];
      attemptId = await startAttempt(db, attempt);
      await appendEvents(db, attemptId, 1, events);
    }).catch(() => undefined); // surfaced by the next add or finish
  };
  const timer = setTimeout(writeRow, writeAfterMs).unref();

  return {
    get count() {
      return count;
    },

    add(events) {
      if (events.length === 0) return writes ?? Promise.resolve();
      const at = Date.now();
      const timed = events.map((e) => ({ ...e, at }));
      const first = count + 1;
      count += timed.length;
      if (!writes) {
        buffered.push(...timed);
        if (buffered.length >= MAX_BUFFERED_EVENTS) writeRow();
        return writes ?? Promise.resolve();
      }
      return chain(() => appendEvents(db, attemptId!, first, timed));
    },

    async finish(outcome, success) {
      clearTimeout(timer);
      if (!writes) {
        const unit = success
          ? { status: 'succeeded' as const, ...success }
          : { status: 'running' as const, result: null, sessionId: null };
        const { runCostUsd, attemptId: id } = await storeWholeAttempt(db, attempt, buffered, outcome, unit);
        return { costUsd: runCostUsd, attemptId: id };
      }
      await writes;
      await finishAttempt(db, attemptId!, outcome);
      if (!success) return { costUsd: 0, attemptId: attemptId! };
      const { runCostUsd } = await completeUnit(db, attempt.jobId, attempt.unitId, {
        status: 'succeeded',
        runKey: attempt.runKey,
        error: null,
        ...success,
      });
      return { costUsd: runCostUsd, attemptId: attemptId! };
    },
  };
}
