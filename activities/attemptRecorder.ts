/**
 * Records one attempt and its conversation with as few round trips as the guarantees allow.
 * Most short units end within a second: their attempt, events and unit are written in one
 * statement at the end (with the times the events arrived). An attempt that runs longer is
 * written after `writeAfterMs` (or once many events, or a megabyte of them, wait), and from then
 * on every event as it arrives, so a running unit's conversation can be followed live. A worker
 * that dies inside that first second loses only the record of an attempt that then runs again.
 *
 * What is kept is bounded (eventBudget.ts): past the budget, the rest is summarised. Every write
 * to the unit is fenced to this attempt (its claim's token), and a failed write fails the next
 * `add` or `finish`, which fails the attempt (retryably): it never goes unhandled.
 */
import type { AgentEvent } from '../src/agents/agent.js';
import type { UnitFinished } from '../src/domain/index.js';
import {
  finishAttempt,
  startAttempt,
  type AttemptOutcome,
  type NewAttempt,
  type UnitSuccess,
} from '../src/store/attempts.js';
import type { Db } from '../src/store/db.js';
import { appendEvents, type TimedEvent } from '../src/store/events.js';
import { pgJson } from '../src/store/pgSafe.js';
import { EventBudget, type EventLimits } from './eventBudget.js';
import type { WholeAttemptWriter } from './wholeAttemptWriter.js';

/** Buffered events beyond this many, or this many bytes, are written at once, whatever the time. */
const MAX_BUFFERED_EVENTS = 200;
const MAX_BUFFERED_BYTES = 1_000_000;

export interface RecorderOptions {
  /** Write the attempt's row once it has run this long. */
  writeAfterMs: number;
  limits: EventLimits;
  /** Where an attempt that ends before its row was written goes, whole. */
  writer: WholeAttemptWriter;
  /** In a group: its whole record may wait a moment to be written with others. */
  batched: boolean;
}

export class AttemptRecorder {
  private buffered: TimedEvent[] = [];
  private bufferedBytes = 0;
  /** Sequence number of the last event of the head (stored, or buffered to be). */
  private seq = 0;
  private attemptId: number | null = null;
  /** Writes in order; a failed one fails the next `add` or `finish`. */
  private writes: Promise<void> | null = null;
  private readonly budget: EventBudget;
  private readonly timer: NodeJS.Timeout;
  /** Events so far, kept or not. */
  count = 0;

  constructor(
    private readonly db: Db,
    private readonly attempt: NewAttempt,
    private readonly options: RecorderOptions,
  ) {
    this.budget = new EventBudget(options.limits);
    this.timer = setTimeout(() => this.writeRow(), options.writeAfterMs).unref();
  }

  /** Events in the order they arrived; resolves once the recorder can take more. */
  add(events: readonly AgentEvent[]): Promise<void> {
    const at = Date.now();
    const head: TimedEvent[] = [];
    for (const e of events) {
      const timed = { type: e.type, subtype: e.subtype ?? null, json: pgJson(e.data), at };
      this.count += 1;
      if (this.budget.place(timed) === 'head') head.push(timed);
    }
    if (head.length === 0) return this.writes ?? Promise.resolve();
    const first = this.seq + 1;
    this.seq += head.length;
    if (!this.writes) {
      this.buffered.push(...head);
      for (const e of head) this.bufferedBytes += e.json.length;
      if (this.buffered.length >= MAX_BUFFERED_EVENTS || this.bufferedBytes >= MAX_BUFFERED_BYTES) this.writeRow();
      return this.writes ?? Promise.resolve();
    }
    return this.chain(() => appendEvents(this.db, this.attemptId!, first, head));
  }

  /**
   * The attempt's outcome; on success the unit is settled too (if this attempt still holds it),
   * and what its execution spent returned, with the attempt's row id.
   */
  async finish(
    outcome: AttemptOutcome,
    success: UnitSuccess | null,
  ): Promise<Pick<UnitFinished, 'costUsd'> & { attemptId: number }> {
    clearTimeout(this.timer);
    const tail = this.budget.end(Date.now());
    if (!this.writes) {
      const unit = success
        ? { status: 'succeeded' as const, ...success }
        : { status: 'running' as const, result: null, sessionId: null };
      const events = [...this.buffered, ...tail];
      const row = { attempt: this.attempt, events, outcome, unit };
      const { runCostUsd, attemptId } = await this.options.writer.store(row, this.options.batched);
      return { costUsd: runCostUsd, attemptId };
    }
    await this.writes;
    await appendEvents(this.db, this.attemptId!, this.seq + 1, tail);
    const { runCostUsd } = await finishAttempt(this.db, this.attemptId!, this.attempt, outcome, success);
    return { costUsd: runCostUsd, attemptId: this.attemptId! };
  }

  /** The attempt ends without a record (it threw before it could be judged). */
  abandon(): void {
    clearTimeout(this.timer);
  }

  private chain(write: () => Promise<void>): Promise<void> {
    this.writes = (this.writes ?? Promise.resolve()).then(write);
    return this.writes;
  }

  private writeRow(): void {
    if (this.writes) return;
    void this.chain(async () => {
      const events = this.buffered;
      this.buffered = [];
      this.bufferedBytes = 0;
      this.attemptId = await startAttempt(this.db, this.attempt);
      await appendEvents(this.db, this.attemptId, 1, events);
    }).catch(() => undefined); // surfaced by the next add or finish
  }
}
