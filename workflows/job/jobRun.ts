/**
 * Version 2 of the job workflow: one job's run as a class holding its state, with the
 * lifecycle's handlers as methods (the shape of Temporal's message-passing/safe-message-handlers
 * sample). The scheduling is pure (window.ts), so is what a unit's outcome comes to
 * (outcomes.ts); starting activities is dispatch.ts, the test phase and a retry's start
 * phases.ts, how a job ends endings.ts. Units are paged from Postgres through a local activity,
 * so history holds ids and keys, never payloads; when the server suggests it, the job starts
 * nothing more, lets the running units finish, and continues-as-new with its state (carried.ts).
 */
import {
  allHandlersFinished,
  CancellationScope,
  condition,
  continueAsNew,
  isCancellation,
  setHandler,
  upsertSearchAttributes,
  uuid4,
  workflowInfo,
} from '@temporalio/workflow';
import {
  allowedRunning,
  assertMove,
  budgetReached,
  buildJobStatus,
  describeThrottling,
  isTerminal,
  onAdmitted,
  onSuccess,
  throttledLastMinute,
  type JobSettings,
  type JobState,
  type JobStatus,
  type Phase,
  type UnitFinished,
  type UnitRef,
  type WebhookEvent,
} from '../../src/domain/index.js';
import { describeFailure } from '../describeFailure.js';
import { jobStatusSearchAttribute, statusQuery, unitAdmittedSignal } from '../messages.js';
import { breakerStatus, watchBreaker } from './breaker.js';
import { initialState, type CarriedState, type JobWorkflowInput } from './carried.js';
import { agentActivities, deliverWebhook, store, type AgentProxies } from './dispatch.js';
import { aggregatePending, cancelled, expire, expired, finish } from './endings.js';
import { fillWindow, registerUpdates, releaseFailedTests, runTests, startRetry } from './phases.js';
import { batchDone, nextWake, type WindowView } from './window.js';

export interface RunningUnit extends UnitRef {
  phase: Phase;
  /** The API answered it (slow start lets one more run). */
  admitted?: boolean;
}

export class JobRun {
  readonly settings: JobSettings;
  readonly s: CarriedState;
  private readonly retry: JobWorkflowInput['retry'];
  private readonly continued: boolean;
  /** Units handed to an activity (in a group, some wait their turn) and not settled yet. */
  readonly running = new Map<number, RunningUnit>();
  /** Activities in flight (and retries waiting to start): each runs one unit at a time. */
  slots = 0;
  /** Units paged from Postgres but not started yet; refetched after continue-as-new. */
  readonly buffer: UnitRef[] = [];
  exhausted = false;
  /** Something changed: the loop looks again before it waits. */
  dirty = false;
  /** The job is expiring: units it stops end expired rather than cancelled. */
  expiring = false;
  /** Every unit's activity runs in this scope: an expiring job stops them without being cancelled itself. */
  readonly unitsScope = new CancellationScope();
  /** Webhook deliveries in flight: the run ends (or continues as new) only after them. */
  readonly deliveries: Promise<void>[] = [];
  readonly agents: AgentProxies;
  private recordedState: JobState | null;

  constructor({ settings, carried, retry }: JobWorkflowInput) {
    this.settings = settings;
    this.s = initialState(settings, carried);
    this.retry = retry;
    this.continued = carried !== undefined;
    this.recordedState = carried ? this.s.state : null;
    this.agents = agentActivities(settings);
  }

  get testUnitCount(): number {
    return Math.min(this.settings.testUnits, this.settings.totalUnits);
  }

  settledCount(): number {
    return this.s.succeeded + this.s.failed + this.s.cancelled + this.s.expired;
  }

  /** A unit waiting its turn in a group has not started: it counts as pending. */
  runningNow(): number {
    return Math.min(this.running.size, this.slots);
  }

  stoppedAs(): 'cancelled' | 'expired' {
    return this.expiring ? 'expired' : 'cancelled';
  }

  budgetSpent(): boolean {
    return budgetReached(this.s.costUsd, this.s.budgetUsd);
  }

  budgetMessage(): string {
    return `budget reached: spent $${this.s.costUsd.toFixed(4)} of $${this.s.budgetUsd}`;
  }

  /** Continue-as-new is due: start nothing more, so the running units can drain. */
  draining(): boolean {
    return workflowInfo().continueAsNewSuggested;
  }

  view(): WindowView {
    const { s, settings } = this;
    return {
      now: Date.now(),
      state: s.state,
      concurrency: settings.concurrency,
      totalUnits: settings.totalUnits,
      settled: this.settledCount(),
      running: this.running.size,
      slots: this.slots,
      buffered: this.buffer.length,
      exhausted: this.exhausted,
      queue: s.queue,
      governor: s.governor,
      unitMs: s.unitMs,
      costUsd: s.costUsd,
      budgetUsd: s.budgetUsd,
      groupShortUnits: settings.unit.groupShortUnits !== false,
      draining: this.draining(),
    };
  }

  status(): JobStatus {
    const { s, settings } = this;
    const now = Date.now();
    return buildJobStatus({
      jobId: settings.jobId,
      name: settings.name,
      state: s.state,
      total: settings.totalUnits,
      settled: s,
      running: this.runningNow(),
      costUsd: s.costUsd,
      budgetUsd: s.budgetUsd,
      concurrency: settings.concurrency,
      templateVersion: s.templateVersion,
      testResults: s.testResults,
      message: s.message,
      throttle: {
        allowed: allowedRunning(s.governor, settings.concurrency),
        rateLimitedLastMinute: throttledLastMinute(s.governor, now),
        pausedUntil: s.pausedUntil === null ? null : new Date(s.pausedUntil).toISOString(),
        text: describeThrottling(s.governor, now, this.runningNow(), settings.concurrency),
      },
      webhook: settings.webhook ? s.webhook : null,
      aggregate: s.aggregate,
      breaker: breakerStatus(this),
    });
  }

  moveTo(state: JobState, message: string | null = null): void {
    assertMove(this.s.state, state);
    this.s.state = state;
    this.s.message = message;
    this.dirty = true;
    upsertSearchAttributes([{ key: jobStatusSearchAttribute, value: state }]);
    if (state === 'READY') this.notify('ready');
    if (isTerminal(state)) this.notify('ended');
  }

  /** POST the job's status to its webhook, in the background; a failure is only counted. */
  notify(event: WebhookEvent): void {
    const { settings, s } = this;
    if (!settings.webhook) return;
    const { counts } = this.status();
    const payload = {
      jobId: settings.jobId,
      status: s.state,
      counts,
      costUsd: s.costUsd,
      ...(event === 'paused' ? { message: s.message, breaker: s.breaker.tripped } : {}),
      ...(s.aggregate ? { report: s.aggregate.report } : {}),
      at: new Date().toISOString(),
    };
    const delivery = { ...settings.webhook, deliveryId: uuid4(), event, payload };
    this.deliveries.push(
      deliverWebhook(delivery).then(
        () => void (s.webhook.delivered += 1),
        (err: unknown) => {
          s.webhook.failed += 1;
          s.webhook.lastError = describeFailure(err);
        },
      ),
    );
  }

  /** The API answered a unit (its first response, or its success): slow start lets one more run. */
  admit(unitId: number): void {
    const unit = this.running.get(unitId);
    if (!unit || unit.admitted) return;
    unit.admitted = true;
    this.s.governor = onAdmitted(this.s.governor, this.settings.concurrency);
    this.dirty = true;
  }

  /** A unit ended, recorded in Postgres: count it. */
  settle(finished: UnitFinished): void {
    const { s } = this;
    if (finished.status === 'succeeded') this.admit(finished.unitId);
    // Late, after a cancellation stopped waiting for it: Postgres already counted it.
    if (!this.running.delete(finished.unitId)) return;
    if (typeof finished.durationMs === 'number') {
      s.unitMs = s.unitMs === null ? finished.durationMs : 0.8 * s.unitMs + 0.2 * finished.durationMs;
    }
    s.costUsd += finished.costUsd;
    s[finished.status] += 1;
    if (finished.status === 'succeeded') s.governor = onSuccess(s.governor, this.settings.concurrency, Date.now());
    if (finished.phase === 'test') s.testResults.push({ ...finished, templateVersion: s.templateVersion });
    if (s.state === 'RUNNING' && this.budgetSpent()) this.moveTo('PAUSED', this.budgetMessage());
    watchBreaker(this, finished);
    this.dirty = true;
  }

  async run(): Promise<JobStatus> {
    setHandler(statusQuery, () => this.status());
    setHandler(unitAdmittedSignal, ({ unitId }) => this.admit(unitId));
    registerUpdates(this);
    try {
      if (this.retry && !this.continued) await startRetry(this, this.retry.statuses);
      while (!isTerminal(this.s.state)) {
        await this.recordState();
        if (expired(this)) {
          await expire(this);
          break;
        }
        await this.step();
        if (this.draining() && this.running.size === 0 && !isTerminal(this.s.state)) await this.continueAsNew();
      }
      await this.recordState();
      await Promise.all(this.deliveries);
      return this.status();
    } catch (err) {
      if (!isCancellation(err)) throw err;
      await CancellationScope.nonCancellable(() => cancelled(this));
      throw err;
    }
  }

  /** Advance the job by one step; returns once there is something new to look at. */
  private async step(): Promise<void> {
    switch (this.s.state) {
      case 'CREATED':
        return this.moveTo(this.testUnitCount > 0 ? 'TESTING' : 'RUNNING');
      case 'TESTING':
        if (await runTests(this)) return this.moveTo('READY');
        break;
      case 'RUNNING':
        if (this.budgetSpent()) return this.moveTo('PAUSED', this.budgetMessage());
        await releaseFailedTests(this);
        await fillWindow(this);
        if (batchDone(this.view())) return finish(this);
        break;
      case 'PAUSED':
        if (batchDone(this.view()) && !aggregatePending(this)) return finish(this);
        if (this.s.pausedUntil !== null && Date.now() >= this.s.pausedUntil) {
          this.s.pausedUntil = null;
          return this.moveTo('RUNNING');
        }
        break;
      default:
        break; // READY waits for approve or reject
    }
    await this.waitForNews();
  }

  private async waitForNews(): Promise<void> {
    if (!this.dirty) {
      const news = (): boolean => this.dirty || (this.draining() && this.running.size === 0);
      const wake = nextWake(this.view(), this.s.pausedUntil, this.settings.expiresAt ?? null);
      if (wake === null) await condition(news);
      else await condition(news, Math.max(1, wake - Date.now()));
    }
    this.dirty = false;
  }

  async recordState(): Promise<void> {
    const { s, settings } = this;
    if (s.state === this.recordedState) return;
    this.recordedState = s.state;
    await store.recordJobState({ jobId: settings.jobId, state: s.state, costUsd: s.costUsd, message: s.message });
  }

  private async continueAsNew(): Promise<never> {
    await this.recordState();
    await Promise.all(this.deliveries);
    await condition(allHandlersFinished);
    return continueAsNew<(input: JobWorkflowInput) => Promise<JobStatus>>({ settings: this.settings, carried: this.s });
  }
}
