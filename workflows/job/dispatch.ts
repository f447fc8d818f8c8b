/**
 * Starting a job's units: one agent activity per unit, or several short units to an activity,
 * with the unit's key as its summary in the Web UI, and what the job does once it reports
 * (outcomes.ts). Whatever happens, a unit settles exactly once or goes back to the queue.
 */
import {
  ActivityCancellationType,
  CancellationScope,
  isCancellation,
  proxyActivities,
  proxyLocalActivities,
  workflowInfo,
  type ActivityInterfaceFor,
  type ActivityOptions,
} from '@temporalio/workflow';
import type {
  AgentActivities,
  AggregateActivities,
  StoreActivities,
  WebhookActivities,
} from '../../activities/index.js';
import {
  NON_RETRYABLE_AGENT_ERRORS,
  onStart,
  nextStartAt,
  type GroupedUnitOutcome,
  type JobSettings,
  type Phase,
  type UnitOutcome,
  type UnitRef,
  type UnitThrottled,
} from '../../src/domain/index.js';
import { describeFailure } from '../describeFailure.js';
import type { QueuedUnit } from './carried.js';
import type { JobRun } from './jobRun.js';
import { groupedAction, throttleAction, type Ending, type UnitAction } from './outcomes.js';

export const store = proxyLocalActivities<StoreActivities>({
  startToCloseTimeout: '1m',
  retry: { maximumInterval: '30s' },
});

/** A webhook delivery is tried for about a minute; a receiver down longer misses it (status says so). */
export const { deliverWebhook } = proxyActivities<WebhookActivities>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 6 },
});

/**
 * Attempts a unit may lose to vanished workers beyond its own (a worker killed, or frozen past
 * its heartbeat timeout, whose open polls keep taking tasks for a while): they leave no failure
 * in Postgres, where a unit's attempts are counted, so Temporal's retries must allow for them.
 */
export const LOST_ATTEMPTS = 10;

export type AgentProxies = ActivityInterfaceFor<AgentActivities & AggregateActivities> & { options: ActivityOptions };

export function agentActivities(settings: JobSettings): AgentProxies {
  const options: ActivityOptions = {
    startToCloseTimeout: `${settings.unit.timeoutSeconds}s`,
    heartbeatTimeout: `${settings.unit.heartbeatTimeoutSeconds}s`,
    retry: {
      maximumAttempts: settings.unit.maxAttempts + LOST_ATTEMPTS,
      initialInterval: `${settings.unit.retryInitialIntervalSeconds}s`,
      backoffCoefficient: 2,
      maximumInterval: '5m',
      nonRetryableErrorTypes: [...NON_RETRYABLE_AGENT_ERRORS],
    },
    // A cancelled unit settles only once its agent process is really gone.
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
    // A job's priority orders its units in the task queue; a unit handed straight to the worker
    // that scheduled it (eager dispatch) would skip the queue, and the priority with it.
    ...(settings.priority ? { allowEagerDispatch: false, priority: { priorityKey: settings.priority } } : {}),
  };
  const { runAgent, runAgents } = proxyActivities<AgentActivities>(options);
  const { runAggregate } = proxyActivities<AggregateActivities>({
    ...options,
    retry: { ...options.retry, maximumAttempts: settings.unit.maxAttempts },
    startToCloseTimeout: `${settings.aggregate?.timeoutSeconds ?? settings.unit.timeoutSeconds}s`,
    heartbeatTimeout: `${settings.aggregate?.heartbeatTimeoutSeconds ?? settings.unit.heartbeatTimeoutSeconds}s`,
  });
  return { options, runAgent, runAgents, runAggregate };
}

/** This execution of the unit: its attempts' records and cost are summed by it. */
function runKeyOf(job: JobRun, unit: UnitRef, phase: Phase): string {
  return `${workflowInfo().runId}/${phase}-v${job.s.templateVersion}-${unit.unitId}`;
}

/** Run one unit's agent (again, when it comes from the queue). */
export function startUnit(job: JobRun, unit: UnitRef, phase: Phase, queued?: QueuedUnit): void {
  const { s, settings } = job;
  job.running.set(unit.unitId, { ...unit, phase });
  job.slots += 1;
  const startAt = Math.max(Date.now(), nextStartAt(s.governor));
  s.governor = onStart(s.governor, startAt);
  // Unique within this run: a queued unit's every start has its own.
  const activityId = `${phase}-v${s.templateVersion}-${unit.unitId}${queued ? `-r${queued.again}` : ''}`;
  const runKey = queued?.runKey ?? runKeyOf(job, unit, phase);
  const input = {
    jobId: settings.jobId,
    unitId: unit.unitId,
    key: unit.key,
    phase,
    templateVersion: s.templateVersion,
    runKey,
    maxAttempts: settings.unit.maxAttempts,
    ...(startAt > Date.now() ? { startDelayMs: startAt - Date.now() } : {}),
    ...(s.governor.slowStart ? { reportAdmission: true } : {}),
  };
  job.unitsScope
    .run(() =>
      job.agents.runAgent.executeWithOptions({ ...job.agents.options, activityId, summary: unit.key }, [input]),
    )
    .then(
      (outcome: UnitOutcome) => {
        const runningThen = job.runningNow();
        releaseSlot(job);
        if (outcome.status === 'throttled') throttled(job, outcome, runKey, runningThen, queued);
        else job.settle(outcome);
      },
      async (err: unknown) => {
        releaseSlot(job);
        await record(job, { ...unit, phase, runKey }, ...ended(job, err));
      },
    );
}

/** Run short units one after another in one activity; each settles (or is queued again) on its own. */
export function startGroup(job: JobRun, units: UnitRef[], phase: Phase): void {
  const { s, settings } = job;
  for (const unit of units) job.running.set(unit.unitId, { ...unit, phase });
  job.slots += 1;
  s.governor = onStart(s.governor, Date.now());
  const activityId = `${phase}-v${s.templateVersion}-${units[0]!.unitId}-group-${units.length}`;
  const keys = units.map((u) => u.key).join(', ');
  const summary = `${units.length} units: ${keys.length > 200 ? `${keys.slice(0, 197)}…` : keys}`;
  const input = {
    jobId: settings.jobId,
    phase,
    templateVersion: s.templateVersion,
    units: units.map((u) => ({ ...u, runKey: runKeyOf(job, u, phase) })),
    unitTimeoutMs: settings.unit.timeoutSeconds * 1000,
    maxAttempts: settings.unit.maxAttempts,
  };
  const options = {
    ...job.agents.options,
    startToCloseTimeout: `${settings.unit.timeoutSeconds * units.length}s`,
    activityId,
    summary,
  };
  job.unitsScope
    .run(() => job.agents.runAgents.executeWithOptions(options, [input]))
    .then(
      (outcomes: GroupedUnitOutcome[]) => {
        const runningThen = job.runningNow();
        releaseSlot(job);
        outcomes.forEach((o, i) => void settleGrouped(job, o, input.units[i]!.runKey, runningThen));
      },
      async (err: unknown) => {
        releaseSlot(job);
        // The group as a whole failed (its retries spent) or was stopped before it reported.
        const [status, error] = ended(job, err);
        await Promise.all(input.units.map((u) => record(job, { ...u, phase }, status, error)));
      },
    );
}

async function settleGrouped(job: JobRun, outcome: GroupedUnitOutcome, runKey: string, runningThen: number) {
  if (outcome.status === 'throttled') return throttled(job, outcome, runKey, runningThen, undefined);
  const action = groupedAction(outcome, {
    now: Date.now(),
    retryDelayMs: job.settings.unit.retryInitialIntervalSeconds * 1000,
    stoppedAs: job.stoppedAs(),
  });
  await act(job, { unitId: outcome.unitId, key: outcome.key, phase: outcome.phase, runKey }, action, undefined);
}

/** The API refused a unit's attempt: the governor learns from it, and the unit waits its turn. */
function throttled(job: JobRun, outcome: UnitThrottled, runKey: string, runningThen: number, queued?: QueuedUnit) {
  if (!job.running.has(outcome.unitId)) return; // late, after a cancellation stopped waiting for it
  const learned = throttleAction(job.s.governor, outcome, {
    now: Date.now(),
    throttlesBefore: queued?.throttles ?? 0,
    runningThen,
  });
  job.s.governor = learned.governor;
  job.dirty = true;
  if (learned.usagePauseUntil !== null) pauseForUsageLimit(job, learned.usagePauseUntil, outcome.error);
  const unit = { unitId: outcome.unitId, key: outcome.key, phase: outcome.phase, runKey };
  void act(job, unit, learned.action, queued);
}

type Unit = UnitRef & { phase: Phase; runKey: string };

async function act(job: JobRun, unit: Unit, action: UnitAction, queued: QueuedUnit | undefined): Promise<void> {
  switch (action.do) {
    case 'settle':
      return job.settle(action.finished);
    case 'record':
      return record(job, unit, action.status, action.error);
    case 'requeue':
      if (!job.running.delete(unit.unitId)) return;
      job.s.queue.push({
        ...unit,
        throttles: action.throttles,
        notBefore: action.notBefore,
        again: (queued?.again ?? 0) + 1,
      });
      job.dirty = true;
  }
}

/** The unit's execution ended without success: record it, then settle it as recorded. */
async function record(job: JobRun, unit: Unit, outcome: Ending, error: string): Promise<void> {
  // Recording the outcome must survive the job's own cancellation.
  const { status, costUsd } = await CancellationScope.nonCancellable(() =>
    store.finishUnit({ jobId: job.settings.jobId, unitId: unit.unitId, runKey: unit.runKey, status: outcome, error }),
  );
  job.settle({
    unitId: unit.unitId,
    key: unit.key,
    phase: unit.phase,
    status,
    error: status === 'succeeded' ? null : error,
    costUsd,
  });
}

/** How an activity that threw ended its units: stopped by the job, or failed (its retries spent). */
function ended(job: JobRun, err: unknown): [Ending, string] {
  return isCancellation(err) ? [job.stoppedAs(), job.stoppedAs()] : ['failed', describeFailure(err)];
}

/** An activity ended: its slot is free before its units settle, so the window refills at once. */
function releaseSlot(job: JobRun): void {
  job.slots -= 1;
  job.dirty = true;
}

/** A spent usage window: start nothing until it resets, then go on by itself. */
function pauseForUsageLimit(job: JobRun, until: number, error: string): void {
  const { s } = job;
  const autoPaused = s.state === 'PAUSED' && s.pausedUntil !== null;
  if (s.state !== 'RUNNING' && !autoPaused) return; // paused by a person: they resume it
  s.pausedUntil = Math.max(s.pausedUntil ?? 0, until);
  const message = `${error.replace(/^AgentUsageLimited: /, '')}; resumes by itself at ${new Date(s.pausedUntil).toISOString()}`;
  if (s.state === 'RUNNING') job.moveTo('PAUSED', message);
  else s.message = message;
}
