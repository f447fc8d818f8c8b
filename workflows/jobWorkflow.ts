/**
 * One workflow per job. It owns the lifecycle and a sliding window of at most `concurrency`
 * running unit child workflows. Unit ids are paged from Postgres through a local activity, so
 * history holds ids and keys, never payloads. Before history grows past the server's
 * suggestion the job continues-as-new, carrying its counters, cursor and in-flight set;
 * running units are not drained: they report to whichever run is current.
 */
import {
  CancellationScope,
  ParentClosePolicy,
  WorkflowIdReusePolicy,
  allHandlersFinished,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  isCancellation,
  log,
  proxyLocalActivities,
  setHandler,
  startChild,
  upsertSearchAttributes,
  uuid4,
  workflowInfo,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { Activities } from '../activities/index.js';
import { AGENT_ERROR_TYPES } from './agentErrors.js';
import { assertTransition, isTerminal, type JobState } from './lifecycle.js';
import {
  approveUpdate,
  jobStatusSearchAttribute,
  pauseUpdate,
  rejectUpdate,
  resumeUpdate,
  statusQuery,
  unitFinishedSignal,
  unitWorkflowId,
  type JobSettings,
  type JobStatus,
  type Phase,
  type RejectRequest,
  type TestUnitResult,
  type UnitFinished,
  type UnitRef,
} from './messages.js';
import { unitWorkflow } from './unitWorkflow.js';

const store = proxyLocalActivities<Activities>({
  startToCloseTimeout: '1m',
  retry: { maximumInterval: '30s', nonRetryableErrorTypes: [AGENT_ERROR_TYPES.badTemplate] },
});

interface RunningUnit extends UnitRef {
  phase: Phase;
}

/** Everything a run hands to the next one through continue-as-new. */
export interface CarriedState {
  state: JobState;
  templateVersion: number;
  budgetUsd: number | null;
  costUsd: number;
  succeeded: number;
  failed: number;
  cancelled: number;
  /** Highest unit id started in the batch; the next page starts after it. */
  cursor: number;
  running: RunningUnit[];
  testsStarted: boolean;
  testResults: TestUnitResult[];
  revision: (RejectRequest & { revisionId: string }) | null;
  message: string | null;
}

export interface JobWorkflowInput {
  settings: JobSettings;
  carried?: CarriedState;
}

export async function jobWorkflow({ settings, carried }: JobWorkflowInput): Promise<JobStatus> {
  const s: CarriedState = carried ?? {
    state: 'CREATED',
    templateVersion: 1,
    budgetUsd: settings.budgetUsd,
    costUsd: 0,
    succeeded: 0,
    failed: 0,
    cancelled: 0,
    cursor: 0,
    running: [],
    testsStarted: false,
    testResults: [],
    revision: null,
    message: null,
  };
  const running = new Map(s.running.map((u) => [u.unitId, u]));
  const testUnitCount = Math.min(settings.testUnits, settings.totalUnits);
  /** Units paged from Postgres but not started yet; refetched after continue-as-new. */
  let buffer: UnitRef[] = [];
  let exhausted = false;
  let starting = 0;
  let dirty = false;

  const status = (): JobStatus => {
    const settled = s.succeeded + s.failed + s.cancelled;
    return {
      jobId: settings.jobId,
      name: settings.name,
      state: s.state,
      counts: {
        total: settings.totalUnits,
        pending: settings.totalUnits - settled - running.size,
        running: running.size,
        succeeded: s.succeeded,
        failed: s.failed,
        cancelled: s.cancelled,
      },
      costUsd: s.costUsd,
      budgetUsd: s.budgetUsd,
      concurrency: settings.concurrency,
      templateVersion: s.templateVersion,
      testResults: s.testResults,
      message: s.message,
    };
  };

  const moveTo = (state: JobState, message: string | null = null): void => {
    s.state = state;
    s.message = message;
    dirty = true;
    upsertSearchAttributes([{ key: jobStatusSearchAttribute, value: state }]);
  };

  const budgetReached = (): boolean => s.budgetUsd !== null && s.costUsd >= s.budgetUsd;

  setHandler(statusQuery, status);

  setHandler(
    approveUpdate,
    () => {
      moveTo('RUNNING');
      return status();
    },
    { validator: () => assertTransition(s.state, 'approve') },
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
        assertTransition(s.state, 'reject');
        if (!request?.feedback?.trim()) throw new Error('reject needs feedback: say what was wrong with the test result');
      },
    },
  );

  setHandler(
    pauseUpdate,
    () => {
      moveTo('PAUSED', 'paused by request');
      return status();
    },
    { validator: () => assertTransition(s.state, 'pause') },
  );

  setHandler(
    resumeUpdate,
    (request) => {
      if (request.budgetUsd !== undefined) s.budgetUsd = request.budgetUsd;
      moveTo('RUNNING');
      return status();
    },
    {
      validator: (request) => {
        assertTransition(s.state, 'resume');
        const budget = request.budgetUsd ?? s.budgetUsd;
        if (budget !== null && s.costUsd >= budget) {
          throw new Error(
            `the budget is spent ($${s.costUsd.toFixed(4)} of $${budget}); resume with a higher budget (--budget-usd)`,
          );
        }
      },
    },
  );

  setHandler(unitFinishedSignal, (finished: UnitFinished) => {
    const unit = running.get(finished.unitId);
    // A report for a unit we no longer track is a duplicate or from a superseded test run.
    if (!unit || unit.phase !== finished.phase) return;
    running.delete(finished.unitId);
    s.costUsd += finished.costUsd;
    s[finished.status] += 1;
    if (finished.phase === 'test') s.testResults.push({ ...finished, templateVersion: s.templateVersion });
    if (s.state === 'RUNNING' && budgetReached()) {
      moveTo('PAUSED', `budget reached: spent $${s.costUsd.toFixed(4)} of $${s.budgetUsd}`);
    }
    dirty = true;
  });

  const startUnit = (unit: UnitRef, phase: Phase): void => {
    running.set(unit.unitId, { ...unit, phase });
    starting += 1;
    const started = CancellationScope.nonCancellable(() =>
      startChild(unitWorkflow, {
        workflowId: unitWorkflowId(settings.jobId, phase, s.templateVersion, unit),
        args: [{ jobId: settings.jobId, ...unit, phase, templateVersion: s.templateVersion, settings: settings.unit }],
        // Units outlive a continue-as-new of the job; the job cancels them itself when cancelled.
        parentClosePolicy: ParentClosePolicy.ABANDON,
        // Every test round has its own template version, so an id is never legitimately reused.
        workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
        staticSummary: unit.key,
      }),
    );
    started
      .catch((err: unknown) => {
        if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
        // The cursor makes this impossible; if it ever happens, count the unit instead of waiting forever.
        log.error('unit was already started; counting it as failed', { unitId: unit.unitId, key: unit.key });
        running.delete(unit.unitId);
        s.failed += 1;
      })
      .finally(() => {
        starting -= 1;
        dirty = true;
      });
  };

  const runTests = async (): Promise<void> => {
    if (s.testResults.length > 0) {
      const previous = s.testResults;
      s.testResults = [];
      for (const r of previous) s[r.status] -= 1;
      await store.resetUnits({ jobId: settings.jobId, unitIds: previous.map((r) => r.unitId) });
    }
    if (s.revision) {
      try {
        s.templateVersion = await store.saveTemplate({
          jobId: settings.jobId,
          currentVersion: s.templateVersion,
          ...s.revision,
        });
      } catch (err) {
        s.revision = null;
        moveTo('READY', `the revised prompt was not used: ${errorMessage(err)}`);
        return;
      }
      s.revision = null;
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

  const fillWindow = async (): Promise<void> => {
    while (s.state === 'RUNNING' && running.size < settings.concurrency && !budgetReached()) {
      if (buffer.length === 0) {
        if (exhausted) return;
        const pageSize = Math.min(Math.max(settings.concurrency * 2, 50), 500);
        buffer = await store.pageUnits({ jobId: settings.jobId, afterUnitId: s.cursor, limit: pageSize });
        exhausted = buffer.length < pageSize;
        continue;
      }
      const unit = buffer.shift()!;
      s.cursor = unit.unitId;
      startUnit(unit, 'batch');
    }
  };

  /** Every unit settled, or nothing left to page and nothing in flight. */
  const batchDone = (): boolean =>
    running.size === 0 &&
    starting === 0 &&
    (s.succeeded + s.failed + s.cancelled >= settings.totalUnits || (exhausted && buffer.length === 0));

  const finish = (): void => {
    const unsettled = settings.totalUnits - s.succeeded - s.failed - s.cancelled;
    if (s.failed > 0 || unsettled > 0) {
      const lost = unsettled > 0 ? `; ${unsettled} units were never settled` : '';
      moveTo('FAILED', `${s.failed} of ${settings.totalUnits} units failed${lost}`);
    } else {
      moveTo('COMPLETED');
    }
  };

  /** Advance the job by one step; returns once there is something new to look at. */
  const step = async (): Promise<void> => {
    switch (s.state) {
      case 'CREATED':
        return moveTo(testUnitCount > 0 ? 'TESTING' : 'RUNNING');
      case 'TESTING':
        if (!s.testsStarted) return runTests();
        if (running.size === 0 && starting === 0) return moveTo('READY');
        break;
      case 'RUNNING':
        if (budgetReached()) return moveTo('PAUSED', `budget reached: spent $${s.costUsd.toFixed(4)} of $${s.budgetUsd}`);
        await releaseFailedTests();
        await fillWindow();
        if (batchDone()) return finish();
        break;
      case 'PAUSED':
        if (batchDone()) return finish();
        break;
      case 'READY':
        break; // waiting for approve or reject
      default:
        return;
    }
    if (!dirty) await condition(() => dirty || (workflowInfo().continueAsNewSuggested && starting === 0));
    dirty = false;
  };

  let recordedState: JobState | null = carried ? s.state : null;
  const recordState = async (): Promise<void> => {
    if (s.state === recordedState) return;
    recordedState = s.state;
    await store.recordJobState({ jobId: settings.jobId, state: s.state, costUsd: s.costUsd, message: s.message });
  };

  try {
    if (!carried) upsertSearchAttributes([{ key: jobStatusSearchAttribute, value: s.state }]);
    while (!isTerminal(s.state)) {
      await recordState();
      await step();
      if (workflowInfo().continueAsNewSuggested && starting === 0 && !isTerminal(s.state)) {
        await condition(allHandlersFinished);
        s.running = [...running.values()];
        await continueAsNew<typeof jobWorkflow>({ settings, carried: s });
      }
    }
    await recordState();
    return status();
  } catch (err) {
    if (!isCancellation(err)) throw err;
    await CancellationScope.nonCancellable(async () => {
      // The state turns CANCELLED only once every unit is settled, so watchers can trust it.
      s.message = `cancelling: stopping ${running.size} running units`;
      await Promise.all(
        [...running.values()].map((unit) =>
          getExternalWorkflowHandle(unitWorkflowId(settings.jobId, unit.phase, s.templateVersion, unit))
            .cancel()
            .catch(() => undefined),
        ),
      );
      // Cancelled units report back once their agent process is gone; don't wait forever for a dead worker.
      await condition(() => running.size === 0 && starting === 0, '2 minutes');
      s.cancelled = await store.cancelUnfinishedUnits({ jobId: settings.jobId });
      running.clear();
      moveTo('CANCELLED', 'cancelled by request');
      await recordState();
    });
    throw err;
  }
}

function errorMessage(err: unknown): string {
  const cause = err instanceof Error && err.cause instanceof Error ? err.cause : err;
  return cause instanceof Error ? cause.message : String(cause);
}
