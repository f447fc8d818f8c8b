/**
 * FROZEN: version 1 of the job workflow, as released in 2b7a411 (before workflows were
 * versioned). It runs the jobs whose histories began on that release — replayed by every later
 * worker through the version gate in ../jobWorkflow.ts — until they end or continue-as-new (a
 * continued run is version 2). Do not change it: the replay fixtures of v1-2b7a411 must replay,
 * and so must every job still running on it. It is exempt from the size rules for that reason.
 *
 * One workflow per job. It owns the lifecycle and a sliding window of at most `concurrency`
 * running units, each one agent activity under Temporal's retry policy, with the unit's key as
 * its summary in the Web UI. Unit ids are paged from Postgres through a local activity, so
 * history holds ids and keys, never payloads. When the server suggests it, the job stops starting
 * units, lets the running ones finish, and continues-as-new carrying its counters and cursor.
 *
 * Short units (under four seconds, as the job measures them) go several to an activity, one after
 * another, each still settled, recorded and retried on its own: a Temporal round trip costs the
 * server and the worker a few ms of CPU, which for a 100 ms unit was most of the work.
 *
 * The API's refusals (rate limits, overload, a spent usage window) come back to the job rather
 * than being retried inside the activity: its governor (src/domain/governor.ts) lowers how many
 * units run, queues the refused unit for later, and a spent usage window pauses the job until
 * its reset, after which it resumes by itself.
 *
 * (A child workflow per unit was measured first: on the benchmark it cost 2.3× the CPU and
 * reached 0.70 efficiency against 0.89 for an activity per unit. See docs/architecture.md.)
 */
import {
  ActivityCancellationType,
  CancellationScope,
  allHandlersFinished,
  condition,
  continueAsNew,
  isCancellation,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  upsertSearchAttributes,
  uuid4,
  workflowInfo,
  type ActivityOptions,
} from '@temporalio/workflow';
import type {
  AgentActivities,
  AggregateActivities,
  StoreActivities,
  WebhookActivities,
} from '../../../activities/index.js';
import {
  allowedRunning,
  assertMove,
  assertRequest,
  budgetReached,
  unitsWithinBudget,
  describeThrottling,
  forecastCost,
  forecastOverBudget,
  isTerminal,
  newGovernor,
  nextStartAt,
  NON_RETRYABLE_AGENT_ERRORS,
  onAdmitted,
  onStart,
  onSuccess,
  onThrottle,
  throttledLastMinute,
  type GovernorState,
  type JobSettings,
  type JobState,
  type JobStatus,
  type Phase,
  type AggregateStatus,
  type GroupedUnitOutcome,
  type RejectRequest,
  type TestUnitResult,
  type UnitFinished,
  type UnitRef,
  type UnitOutcomeStatus,
  type UnitThrottled,
  type WebhookStatus,
} from '../../../src/domain/index.js';
import { describeFailure } from '../../describeFailure.js';
import {
  approveUpdate,
  jobStatusSearchAttribute,
  pauseUpdate,
  rejectUpdate,
  resumeUpdate,
  statusQuery,
  unitAdmittedSignal,
} from '../../messages.js';

const store = proxyLocalActivities<StoreActivities>({
  startToCloseTimeout: '1m',
  retry: { maximumInterval: '30s' },
});

/** A webhook delivery is tried for about a minute; a receiver down longer misses it (status says so). */
const { deliverWebhook } = proxyActivities<WebhookActivities>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 6 },
});

/** When a job expires, its running units get this long to finish before they are stopped. */
const EXPIRY_GRACE = '15 seconds';

/** Unit ids per local activity when units are ended or retried in bulk (about a second's work each). */
const ID_SLICE = 50_000;
/**
 * A group lasts about this long, so units shorter than half of it (on a moving average of the
 * job's recent ones) run in groups. Measured: a Temporal round trip between two units of a slot
 * cost ~150 ms of wall time on this 2-core machine, so 2 s units alone reached 0.91 efficiency.
 */
const GROUP_MS = 8000;
const MAX_GROUP_SIZE = 50;
/** A unit the API refused this many times fails (a request too big for any window never passes). */
const MAX_THROTTLES = 25;
/**
 * A paced job starts the units due within this long at once, each told to wait its turn: the
 * server fires timers about a second late at best (measured: a 0.5 s pace ran at 1 unit/s).
 */
const PACE_HORIZON_MS = 1000;

/** A unit waiting to run again: refused by the API, failed inside a group, or a group never started it. */
export interface QueuedUnitV1 extends UnitRef {
  phase: Phase;
  runKey: string;
  /** Attempts made so far: numbering goes on from them. */
  attempts: number;
  /** Of those, the ones that count against the unit's attempts (refusals do not). */
  counted: number;
  /** Times the API refused it. */
  throttles: number;
  /** Not before this (epoch ms). */
  notBefore: number;
}

/** Everything a run hands to the next one through continue-as-new (no unit is in flight then). */
export interface CarriedStateV1 {
  state: JobState;
  templateVersion: number;
  budgetUsd: number | null;
  costUsd: number;
  succeeded: number;
  failed: number;
  cancelled: number;
  expired: number;
  /** Highest unit id started in the batch; the next page starts after it. */
  cursor: number;
  testsStarted: boolean;
  testResults: TestUnitResult[];
  revision: (RejectRequest & { revisionId: string }) | null;
  message: string | null;
  /** How long units take, a moving average of the recent ones (null until one has run). */
  unitMs: number | null;
  /** How many units the API lets run at once, as learned. */
  governor: GovernorState;
  /** Units to run again before new ones. */
  queue: QueuedUnitV1[];
  /** A spent usage window paused the job until then (epoch ms); it resumes by itself. */
  pausedUntil: number | null;
  webhook: WebhookStatus;
  /** The aggregate step, when the spec has one. */
  aggregate: AggregateStatus | null;
}

export interface JobWorkflowInputV1 {
  settings: JobSettings;
  carried?: CarriedStateV1;
  /** `retry`: a new run of an ended job, running its units in these states again. */
  retry?: { statuses: Exclude<UnitOutcomeStatus, 'succeeded'>[] };
}

export async function jobWorkflowV1({ settings, carried, retry }: JobWorkflowInputV1): Promise<JobStatus> {
  // Defaults first: a run carried from an older version lacks the fields added since.
  const s: CarriedStateV1 = {
    state: 'CREATED',
    templateVersion: 1,
    budgetUsd: settings.budgetUsd,
    costUsd: 0,
    succeeded: 0,
    failed: 0,
    cancelled: 0,
    expired: 0,
    cursor: 0,
    testsStarted: false,
    testResults: [],
    revision: null,
    message: null,
    unitMs: null,
    governor: newGovernor(
      settings.concurrency,
      settings.requestsPerMinute ?? null,
      settings.agentReportsAdmission ?? false,
    ),
    queue: [],
    pausedUntil: null,
    webhook: { delivered: 0, failed: 0, lastError: null },
    aggregate: settings.aggregate ? { state: 'pending', error: null, report: null } : null,
    ...carried,
  };
  /** Every unit's activity runs in this scope: an expiring job stops them without being cancelled itself. */
  const unitsScope = new CancellationScope();
  /** The job is expiring: units it stops end expired rather than cancelled. */
  let expiring = false;
  const stoppedAs = (): 'cancelled' | 'expired' => (expiring ? 'expired' : 'cancelled');
  const settledCount = (): number => s.succeeded + s.failed + s.cancelled + s.expired;
  /** Webhook deliveries in flight: the run ends (or continues as new) only after them. */
  const deliveries: Promise<void>[] = [];
  const queue = s.queue;
  /** Units handed to an activity (in a group, some wait their turn) and not settled yet; `admitted`: the API answered it. */
  const running = new Map<number, UnitRef & { phase: Phase; admitted?: boolean }>();
  /** Activities in flight (and retries waiting to start): each runs one unit at a time. */
  let slots = 0;
  const testUnitCount = Math.min(settings.testUnits, settings.totalUnits);
  /** Units paged from Postgres but not started yet; refetched after continue-as-new. */
  const buffer: UnitRef[] = [];
  let exhausted = false;
  let dirty = false;

  const agentOptions: ActivityOptions = {
    startToCloseTimeout: `${settings.unit.timeoutSeconds}s`,
    heartbeatTimeout: `${settings.unit.heartbeatTimeoutSeconds}s`,
    retry: {
      maximumAttempts: settings.unit.maxAttempts,
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
  const { runAgent, runAgents } = proxyActivities<AgentActivities>(agentOptions);
  const { runAggregate } = proxyActivities<AggregateActivities>({
    ...agentOptions,
    startToCloseTimeout: `${settings.aggregate?.timeoutSeconds ?? settings.unit.timeoutSeconds}s`,
    heartbeatTimeout: `${settings.aggregate?.heartbeatTimeoutSeconds ?? settings.unit.heartbeatTimeoutSeconds}s`,
  });

  // A unit waiting its turn in a group has not started: it counts as pending.
  const runningNow = (): number => Math.min(running.size, slots);

  const status = (): JobStatus => {
    const settled = settledCount();
    return {
      jobId: settings.jobId,
      name: settings.name,
      state: s.state,
      counts: {
        total: settings.totalUnits,
        pending: settings.totalUnits - settled - runningNow(),
        running: runningNow(),
        succeeded: s.succeeded,
        failed: s.failed,
        cancelled: s.cancelled,
        expired: s.expired,
      },
      costUsd: s.costUsd,
      budgetUsd: s.budgetUsd,
      concurrency: settings.concurrency,
      templateVersion: s.templateVersion,
      testResults: s.testResults,
      message: s.message,
      throttle: {
        allowed: allowedRunning(s.governor, settings.concurrency),
        rateLimitedLastMinute: throttledLastMinute(s.governor, Date.now()),
        pausedUntil: s.pausedUntil === null ? null : new Date(s.pausedUntil).toISOString(),
        text: describeThrottling(s.governor, Date.now(), runningNow(), settings.concurrency),
      },
      forecast: forecastCost(s.testResults, s.templateVersion, settings.totalUnits),
      webhook: settings.webhook ? s.webhook : null,
      aggregate: s.aggregate,
    };
  };

  /** POST the job's status to its webhook, in the background; a failure is only counted. */
  const notify = (event: 'ready' | 'ended'): void => {
    if (!settings.webhook) return;
    const { counts } = status();
    const payload = {
      jobId: settings.jobId,
      status: s.state,
      counts,
      costUsd: s.costUsd,
      ...(s.aggregate ? { report: s.aggregate.report } : {}),
      at: new Date().toISOString(),
    };
    const delivery = { ...settings.webhook, deliveryId: uuid4(), event, payload };
    deliveries.push(
      deliverWebhook(delivery).then(
        () => void (s.webhook.delivered += 1),
        (err: unknown) => {
          s.webhook.failed += 1;
          s.webhook.lastError = describeFailure(err);
        },
      ),
    );
  };

  const moveTo = (state: JobState, message: string | null = null): void => {
    assertMove(s.state, state);
    s.state = state;
    s.message = message;
    dirty = true;
    upsertSearchAttributes([{ key: jobStatusSearchAttribute, value: state }]);
    if (state === 'READY') notify('ready');
    if (isTerminal(state)) notify('ended');
  };

  const budgetSpent = (): boolean => budgetReached(s.costUsd, s.budgetUsd);
  const budgetMessage = (): string => `budget reached: spent $${s.costUsd.toFixed(4)} of $${s.budgetUsd}`;

  setHandler(statusQuery, status);

  /** The API answered a unit (its first response, or its success): slow start lets one more run. */
  const admit = (unitId: number): void => {
    const unit = running.get(unitId);
    if (!unit || unit.admitted) return;
    unit.admitted = true;
    s.governor = onAdmitted(s.governor, settings.concurrency);
    dirty = true;
  };
  setHandler(unitAdmittedSignal, ({ unitId }) => admit(unitId));

  setHandler(
    approveUpdate,
    () => {
      moveTo('RUNNING');
      return status();
    },
    {
      validator: (request) => {
        assertRequest(s.state, 'approve');
        const forecast = forecastCost(s.testResults, s.templateVersion, settings.totalUnits);
        if (forecastOverBudget(forecast, s.budgetUsd) && !request?.overBudget) {
          throw new Error(
            `the forecast $${forecast!.totalUsd.toFixed(2)} exceeds the budget $${s.budgetUsd}: approve with --over-budget ` +
              '(the job pauses when its spend reaches the budget), or reject with a cheaper prompt',
          );
        }
      },
    },
  );

  setHandler(
    rejectUpdate,
    (request) => {
      s.revision = { ...request, revisionId: uuid4() };
      s.testsStarted = false;
      moveTo('TESTING');
      return status();
    },
    {
      validator: (request) => {
        assertRequest(s.state, 'reject');
        if (!request?.feedback?.trim())
          throw new Error('reject needs feedback: say what was wrong with the test result');
      },
    },
  );

  setHandler(
    pauseUpdate,
    () => {
      moveTo('PAUSED', 'paused by request');
      return status();
    },
    { validator: () => assertRequest(s.state, 'pause') },
  );

  setHandler(
    resumeUpdate,
    (request) => {
      // From the Web UI or the Temporal CLI an update may come without input.
      if (request?.budgetUsd !== undefined) s.budgetUsd = request.budgetUsd;
      s.pausedUntil = null;
      moveTo('RUNNING');
      return status();
    },
    {
      validator: (request) => {
        assertRequest(s.state, 'resume');
        const budget = request?.budgetUsd ?? s.budgetUsd;
        if (budgetReached(s.costUsd, budget)) {
          throw new Error(
            `the budget is spent ($${s.costUsd.toFixed(4)} of $${budget}); resume with a higher budget (--budget-usd)`,
          );
        }
      },
    },
  );

  const settle = (finished: UnitFinished): void => {
    if (finished.status === 'succeeded') admit(finished.unitId);
    // Late, after a cancellation stopped waiting for it: Postgres already counted it.
    if (!running.delete(finished.unitId)) return;
    if (typeof finished.durationMs === 'number') {
      s.unitMs = s.unitMs === null ? finished.durationMs : 0.8 * s.unitMs + 0.2 * finished.durationMs;
    }
    s.costUsd += finished.costUsd;
    s[finished.status] += 1;
    if (finished.status === 'succeeded') s.governor = onSuccess(s.governor, settings.concurrency, Date.now());
    if (finished.phase === 'test') s.testResults.push({ ...finished, templateVersion: s.templateVersion });
    if (s.state === 'RUNNING' && budgetSpent()) moveTo('PAUSED', budgetMessage());
    dirty = true;
  };

  /** An activity ended: its slot is free before its units settle, so the window refills at once. */
  const releaseSlot = (): void => {
    slots -= 1;
    dirty = true;
  };

  const runKeyOf = (unit: UnitRef, phase: Phase): string =>
    `${workflowInfo().runId}/${phase}-v${s.templateVersion}-${unit.unitId}`;

  /** The unit's execution ended without success: record it, then settle it as recorded. */
  const recordAndSettle = async (
    unit: UnitRef,
    phase: Phase,
    runKey: string,
    outcome: 'failed' | 'cancelled' | 'expired',
    error: string,
  ): Promise<void> => {
    // Recording the outcome must survive the job's own cancellation.
    const recorded = await CancellationScope.nonCancellable(() =>
      store.finishUnit({ jobId: settings.jobId, unitId: unit.unitId, runKey, status: outcome, error }),
    );
    // A history from before finishUnit said how the unit ended holds only the cost.
    const { status, costUsd } = typeof recorded === 'number' ? { status: outcome, costUsd: recorded } : recorded;
    settle({ ...unit, phase, status, error: status === 'succeeded' ? null : error, costUsd });
  };

  /** How an activity that threw ended its units: stopped by the job, or failed (its retries spent). */
  const endedBy = (err: unknown): { outcome: 'failed' | 'cancelled' | 'expired'; error: string } =>
    isCancellation(err)
      ? { outcome: stoppedAs(), error: stoppedAs() }
      : { outcome: 'failed', error: describeFailure(err) };

  /**
   * Run one unit's agent (again, when it comes from the queue); whatever happens, the unit
   * settles exactly once or goes back to the queue.
   */
  const startUnit = (unit: UnitRef, phase: Phase, queued?: QueuedUnitV1): void => {
    running.set(unit.unitId, { ...unit, phase });
    slots += 1;
    const startAt = Math.max(Date.now(), nextStartAt(s.governor));
    s.governor = onStart(s.governor, startAt);
    // Unique within this run, so the attempts of this execution can be told from earlier ones.
    const activityId = `${phase}-v${s.templateVersion}-${unit.unitId}${queued ? `-a${queued.attempts + 1}` : ''}`;
    const runKey = queued?.runKey ?? runKeyOf(unit, phase);
    const input = {
      jobId: settings.jobId,
      unitId: unit.unitId,
      key: unit.key,
      phase,
      templateVersion: s.templateVersion,
      runKey,
      priorAttempts: queued?.attempts ?? 0,
      ...(startAt > Date.now() ? { startDelayMs: startAt - Date.now() } : {}),
      ...(s.governor.slowStart ? { reportAdmission: true } : {}),
    };
    const options: ActivityOptions = queued
      ? {
          ...agentOptions,
          retry: { ...agentOptions.retry, maximumAttempts: Math.max(1, settings.unit.maxAttempts - queued.counted) },
        }
      : agentOptions;
    unitsScope
      .run(() => runAgent.executeWithOptions({ ...options, activityId, summary: unit.key }, [input]))
      .then(
        (outcome) => {
          const runningThen = runningNow();
          releaseSlot();
          if (outcome.status === 'throttled') requeueThrottled(outcome, runKey, runningThen, queued);
          else settle(outcome);
        },
        async (err: unknown) => {
          releaseSlot();
          const { outcome, error } = endedBy(err);
          await recordAndSettle(unit, phase, runKey, outcome, error);
        },
      );
  };

  /** The API refused a unit's attempt: the governor learns from it, and the unit waits its turn. */
  const requeueThrottled = (
    outcome: UnitThrottled,
    runKey: string,
    runningThen: number,
    queued: QueuedUnitV1 | undefined,
  ): void => {
    if (!running.has(outcome.unitId)) return; // late, after a cancellation stopped waiting for it
    const unit = { unitId: outcome.unitId, key: outcome.key };
    const throttles = (queued?.throttles ?? 0) + 1;
    const now = Date.now();
    const { governor, retryAt } = onThrottle(s.governor, {
      kind: outcome.throttle,
      now,
      startedAt: outcome.startedAt,
      running: runningThen,
      retryAfterMs: outcome.retryAt === null ? null : Math.max(0, outcome.retryAt - now),
      unitThrottles: throttles,
    });
    s.governor = governor;
    dirty = true;
    if (throttles > MAX_THROTTLES) {
      void recordAndSettle(unit, outcome.phase, runKey, 'failed', `${outcome.error} (refused ${throttles} times)`);
      return;
    }
    running.delete(unit.unitId);
    if (outcome.throttle === 'usageLimited') pauseForUsageLimit(retryAt, outcome.error);
    queue.push({
      ...unit,
      phase: outcome.phase,
      runKey,
      attempts: (queued?.attempts ?? 0) + outcome.attempts,
      // The activity's attempts before the refused one failed otherwise: those count.
      counted: (queued?.counted ?? 0) + outcome.attempts - 1,
      throttles,
      notBefore: retryAt,
    });
  };

  /** A spent usage window: start nothing until it resets, then go on by itself. */
  const pauseForUsageLimit = (until: number, error: string): void => {
    const autoPaused = s.state === 'PAUSED' && s.pausedUntil !== null;
    if (s.state !== 'RUNNING' && !autoPaused) return; // paused by a person: they resume it
    s.pausedUntil = Math.max(s.pausedUntil ?? 0, until);
    const message = `${error.replace(/^AgentUsageLimited: /, '')}; resumes by itself at ${new Date(s.pausedUntil).toISOString()}`;
    if (s.state === 'RUNNING') moveTo('PAUSED', message);
    else s.message = message;
  };

  /** The queued unit due first, if one is due now (taken off the queue). */
  const takeDue = (phase: Phase): QueuedUnitV1 | undefined => {
    const now = Date.now();
    let best = -1;
    queue.forEach((q, i) => {
      if (q.phase === phase && q.notBefore <= now && (best < 0 || q.notBefore < queue[best]!.notBefore)) best = i;
    });
    return best < 0 ? undefined : queue.splice(best, 1)[0];
  };

  /** Run short units one after another in one activity; each settles (or is retried) on its own. */
  const startGroup = (units: UnitRef[], phase: Phase): void => {
    for (const unit of units) running.set(unit.unitId, { ...unit, phase });
    slots += 1;
    s.governor = onStart(s.governor, Date.now());
    const first = units[0]!;
    const activityId = `${phase}-v${s.templateVersion}-${first.unitId}-group-${units.length}`;
    const keys = units.map((u) => u.key).join(', ');
    const summary = `${units.length} units: ${keys.length > 200 ? `${keys.slice(0, 197)}…` : keys}`;
    const unitTimeoutMs = settings.unit.timeoutSeconds * 1000;
    const input = {
      jobId: settings.jobId,
      phase,
      templateVersion: s.templateVersion,
      units: units.map((u) => ({ ...u, runKey: runKeyOf(u, phase) })),
      unitTimeoutMs,
    };
    const timeout = `${settings.unit.timeoutSeconds * units.length}s`;
    const options = { ...agentOptions, startToCloseTimeout: timeout, activityId, summary };
    unitsScope
      .run(() => runAgents.executeWithOptions(options, [input]))
      .then(
        (outcomes) => {
          const runningThen = runningNow();
          releaseSlot();
          outcomes.forEach((o, i) => void settleGrouped(o, input.units[i]!.runKey, runningThen));
        },
        async (err: unknown) => {
          releaseSlot();
          // The group as a whole failed (its retries spent) or was stopped before it reported.
          const { outcome, error } = endedBy(err);
          await Promise.all(input.units.map((u) => recordAndSettle(u, phase, u.runKey, outcome, error)));
        },
      );
  };

  const settleGrouped = async (outcome: GroupedUnitOutcome, runKey: string, runningThen: number): Promise<void> => {
    const unit = { unitId: outcome.unitId, key: outcome.key };
    const requeue = (fields: Pick<QueuedUnitV1, 'attempts' | 'counted' | 'notBefore'>): void => {
      if (!running.delete(unit.unitId)) return;
      queue.push({ ...unit, phase: outcome.phase, runKey, throttles: 0, ...fields });
      dirty = true;
    };
    switch (outcome.status) {
      case 'succeeded':
        return settle(outcome);
      case 'throttled':
        return requeueThrottled(outcome, runKey, runningThen, undefined);
      case 'notStarted':
        return requeue({ attempts: 0, counted: 0, notBefore: 0 });
      case 'attemptFailed':
        if (!outcome.retryable || settings.unit.maxAttempts <= 1) {
          return recordAndSettle(unit, outcome.phase, runKey, 'failed', outcome.error);
        }
        // Its next attempts run on their own, under Temporal's retry policy.
        return requeue({
          attempts: 1,
          counted: 1,
          notBefore: Date.now() + (outcome.nextRetryDelayMs ?? settings.unit.retryInitialIntervalSeconds * 1000),
        });
      default: {
        const status = outcome.status === 'cancelled' ? stoppedAs() : outcome.status;
        return recordAndSettle(unit, outcome.phase, runKey, status, outcome.error ?? status);
      }
    }
  };

  /** How many units the next activity takes: one, unless units are short and enough remain for every slot. */
  const groupSize = (): number => {
    // Paced, each unit is a request of its own: a group would run its units faster than the pace.
    if (settings.unit.groupShortUnits === false || s.unitMs === null || s.governor.pace !== null) return 1;
    const unstarted = settings.totalUnits - settledCount() - running.size;
    // Groups shrink once fewer units are left than a group for every slot, so the last ones finish
    // together rather than one slot late; sooner (at twice that) the end ran more, smaller groups,
    // each a Temporal round trip (measured at 2 s units: 0.950 efficiency, 0.957–0.960 now).
    const enoughForEverySlot = Math.floor(unstarted / settings.concurrency);
    const withinBudget = unitsWithinBudget({
      costUsd: s.costUsd,
      budgetUsd: s.budgetUsd,
      settled: settledCount(),
      running: running.size,
    });
    return Math.max(
      1,
      Math.min(MAX_GROUP_SIZE, Math.floor(GROUP_MS / Math.max(s.unitMs, 1)), enoughForEverySlot, withinBudget),
    );
  };

  const runTests = async (): Promise<void> => {
    // The revision first: if it is refused, the previous test results still stand.
    if (s.revision) {
      try {
        s.templateVersion = await store.saveTemplate({
          jobId: settings.jobId,
          currentVersion: s.templateVersion,
          ...s.revision,
        });
      } catch (err) {
        s.revision = null;
        moveTo('READY', `the revised prompt was not used: ${describeFailure(err)}`);
        return;
      }
      s.revision = null;
    }
    if (s.testResults.length > 0) {
      const previous = s.testResults;
      s.testResults = [];
      for (const r of previous) s[r.status] -= 1;
      await store.resetUnits({ jobId: settings.jobId, unitIds: previous.map((r) => r.unitId) });
    }
    const units = await store.pageUnits({ jobId: settings.jobId, afterUnitId: 0, limit: testUnitCount });
    for (const unit of units) startUnit(unit, 'test');
    s.testsStarted = true;
  };

  /** After approval, failed test units go back to pending and run again in the batch. */
  const releaseFailedTests = async (): Promise<void> => {
    const retry = s.testResults.filter((r) => r.status !== 'succeeded');
    if (retry.length === 0) return;
    for (const r of retry) s[r.status] -= 1;
    s.testResults = s.testResults.filter((r) => r.status === 'succeeded');
    await store.resetUnits({ jobId: settings.jobId, unitIds: retry.map((r) => r.unitId) });
  };

  /** Continue-as-new is due: start nothing more, so the running units can drain. */
  const draining = (): boolean => workflowInfo().continueAsNewSuggested;

  const fillWindow = async (): Promise<void> => {
    while (
      s.state === 'RUNNING' &&
      slots < allowedRunning(s.governor, settings.concurrency) &&
      nextStartAt(s.governor) < Date.now() + PACE_HORIZON_MS &&
      !budgetSpent() &&
      !draining()
    ) {
      const again = takeDue('batch');
      if (again) {
        startUnit(again, 'batch', again);
        continue;
      }
      const size = groupSize();
      if (buffer.length < size && !exhausted) {
        const pageSize = Math.min(Math.max(settings.concurrency * 2, 50, size * 4), 1000);
        const page = await store.pageUnits({
          jobId: settings.jobId,
          afterUnitId: buffer.at(-1)?.unitId ?? s.cursor,
          limit: pageSize,
        });
        buffer.push(...page);
        exhausted = page.length < pageSize;
        continue;
      }
      if (buffer.length === 0) return;
      const units = buffer.splice(0, size);
      s.cursor = units.at(-1)!.unitId;
      if (units.length === 1) startUnit(units[0]!, 'batch');
      else startGroup(units, 'batch');
    }
  };

  /** Nothing in flight or queued, and every unit settled (known without another page) or none left to page. */
  const batchDone = (): boolean =>
    running.size === 0 &&
    queue.length === 0 &&
    (settledCount() >= settings.totalUnits || (exhausted && buffer.length === 0));

  /** The aggregate step has yet to run (or is running): the job does not end before it. */
  const aggregatePending = (): boolean => s.aggregate?.state === 'pending' || s.aggregate?.state === 'running';

  /** Every unit settled: the aggregate step, if any, then the job ends. */
  const finish = async (): Promise<void> => {
    if (aggregatePending()) await aggregate();
    const unsettled = settings.totalUnits - settledCount();
    const reasons: string[] = [];
    if (s.failed > 0 || unsettled > 0) {
      const lost = unsettled > 0 ? `; ${unsettled} units were never settled` : '';
      reasons.push(`${s.failed} of ${settings.totalUnits} units failed${lost}`);
    }
    if (s.aggregate?.state === 'failed') reasons.push(`the aggregate step failed: ${s.aggregate.error}`);
    if (reasons.length > 0) moveTo('FAILED', reasons.join('; '));
    else moveTo('COMPLETED');
  };

  /** One more agent run over the succeeded units' results (its own retries); its result is the report. */
  const aggregate = async (): Promise<void> => {
    s.aggregate = { state: 'running', error: null, report: null };
    s.message = `aggregating the results of ${s.succeeded} units`;
    try {
      const { report, costUsd } = await runAggregate({
        jobId: settings.jobId,
        succeeded: s.succeeded,
        failed: s.failed,
        total: settings.totalUnits,
      });
      s.costUsd += costUsd;
      s.aggregate = { state: 'succeeded', error: null, report };
    } catch (err) {
      if (isCancellation(err)) throw err;
      s.aggregate = { state: 'failed', error: describeFailure(err), report: null };
    }
    s.message = null;
  };

  /** Advance the job by one step; returns once there is something new to look at. */
  const step = async (): Promise<void> => {
    switch (s.state) {
      case 'CREATED':
        return moveTo(testUnitCount > 0 ? 'TESTING' : 'RUNNING');
      case 'TESTING':
        if (!s.testsStarted) return runTests();
        for (let again = takeDue('test'); again; again = takeDue('test')) startUnit(again, 'test', again);
        if (running.size === 0 && queue.length === 0) return moveTo('READY');
        break;
      case 'RUNNING':
        if (budgetSpent()) return moveTo('PAUSED', budgetMessage());
        await releaseFailedTests();
        await fillWindow();
        if (batchDone()) return finish();
        break;
      case 'PAUSED':
        // A paused job's aggregate step waits for resume.
        if (batchDone() && !aggregatePending()) return finish();
        if (s.pausedUntil !== null && Date.now() >= s.pausedUntil) {
          s.pausedUntil = null;
          return moveTo('RUNNING');
        }
        break;
      case 'READY':
        break; // waiting for approve or reject
      default:
        return;
    }
    if (!dirty) {
      const done = (): boolean => dirty || (draining() && running.size === 0);
      const wake = nextWake();
      if (wake === null) await condition(done);
      else await condition(done, Math.max(1, wake - Date.now()));
    }
    dirty = false;
  };

  /** When a queued unit, the governor's pace or hold, or a usage pause next comes due (a timer), if any. */
  const nextWake = (): number | null => {
    const now = Date.now();
    const more = s.state === 'RUNNING' && (buffer.length > 0 || !exhausted || queue.length > 0);
    const paced = more ? nextStartAt(s.governor) - PACE_HORIZON_MS : 0;
    const times = [...queue.map((q) => q.notBefore), paced, s.pausedUntil ?? 0, settings.expiresAt ?? 0];
    const future = times.filter((t) => t > now);
    return future.length === 0 ? null : Math.min(...future);
  };

  /** Unit ids 1…total, a slice per local activity (about a second's work each). */
  const forEachIdSlice = async (work: (range: { from: number; to: number }) => Promise<void>): Promise<void> => {
    for (let from = 1; from <= settings.totalUnits; from += ID_SLICE) await work({ from, to: from + ID_SLICE - 1 });
  };

  /** Every unsettled unit ends `status` (the job was cancelled or expired); returns how many are so. */
  const endPendingUnits = async (status: 'cancelled' | 'expired'): Promise<number> => {
    await forEachIdSlice((range) => store.endUnfinishedUnits({ jobId: settings.jobId, status, ...range }));
    return store.countUnits({ jobId: settings.jobId, status });
  };

  /** A retried job (its search attribute set at start) goes on from what Postgres says, its chosen units pending. */
  const startRetry = async (statuses: Exclude<UnitOutcomeStatus, 'succeeded'>[]): Promise<void> => {
    await forEachIdSlice((range) => store.retryUnits({ jobId: settings.jobId, statuses, ...range }));
    Object.assign(s, await store.jobTotals({ jobId: settings.jobId }), { state: 'RUNNING', testsStarted: true });
    s.message = `retrying ${settings.totalUnits - settledCount()} ${statuses.join(' and ')} units`;
  };

  let recordedState: JobState | null = carried ? s.state : null;
  const recordState = async (): Promise<void> => {
    if (s.state === recordedState) return;
    recordedState = s.state;
    await store.recordJobState({ jobId: settings.jobId, state: s.state, costUsd: s.costUsd, message: s.message });
  };

  const expired = (): boolean => typeof settings.expiresAt === 'number' && Date.now() >= settings.expiresAt;

  /** `expiresAfter` passed: start nothing, give the running units a grace, stop them, expire the rest. */
  const expire = async (): Promise<void> => {
    expiring = true;
    s.message = `expired: stopping ${running.size} running units`;
    queue.length = 0;
    await condition(() => running.size === 0, EXPIRY_GRACE);
    unitsScope.cancel();
    await condition(() => running.size === 0, '2 minutes');
    running.clear();
    s.expired = await endPendingUnits('expired');
    moveTo('EXPIRED', `expired before ${s.expired} of ${settings.totalUnits} units settled`);
  };

  try {
    if (retry && !carried) await startRetry(retry.statuses);
    while (!isTerminal(s.state)) {
      await recordState();
      if (expired()) {
        await expire();
        break;
      }
      await step();
      if (draining() && running.size === 0 && !isTerminal(s.state)) {
        await recordState();
        await Promise.all(deliveries);
        await condition(allHandlersFinished);
        await continueAsNew<typeof jobWorkflowV1>({ settings, carried: s });
      }
    }
    await recordState();
    await Promise.all(deliveries);
    return status();
  } catch (err) {
    if (!isCancellation(err)) throw err;
    await CancellationScope.nonCancellable(async () => {
      // Running agents were cancelled with the job; the state turns CANCELLED only once every
      // unit is settled, so watchers can trust it. Don't wait forever for a dead worker.
      s.message = `cancelling: stopping ${running.size} running units`;
      await condition(() => running.size === 0, '2 minutes');
      running.clear();
      queue.length = 0; // still pending in Postgres: cancelled with the rest
      s.cancelled = await endPendingUnits('cancelled');
      moveTo('CANCELLED', 'cancelled by request');
      await recordState();
      await Promise.all(deliveries);
    });
    throw err;
  }
}
