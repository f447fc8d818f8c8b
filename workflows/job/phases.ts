/**
 * The lifecycle's requests (approve, reject, pause, resume: typed updates whose validators say
 * what would be legal), the test phase, the window's refill, and the start of a retried job.
 */
import { setHandler, uuid4 } from '@temporalio/workflow';
import {
  assertRequest,
  budgetReached,
  forecastCost,
  forecastOverBudget,
  type UnitOutcomeStatus,
} from '../../src/domain/index.js';
import { describeFailure } from '../describeFailure.js';
import { approveUpdate, pauseUpdate, rejectUpdate, resumeUpdate } from '../messages.js';
import { resumeBreaker } from './breaker.js';
import { startGroup, startUnit, store } from './dispatch.js';
import type { JobRun } from './jobRun.js';
import { dueIndex, nextStart } from './window.js';

/** Unit ids per local activity when units are ended or retried in bulk (about a second's work each). */
export const ID_SLICE = 50_000;

export function registerUpdates(job: JobRun): void {
  const { s, settings } = job;
  const moveTo = (state: 'RUNNING' | 'PAUSED', message?: string) => () => {
    job.moveTo(state, message ?? null);
    return job.status();
  };
  setHandler(approveUpdate, moveTo('RUNNING'), {
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
  });
  setHandler(
    rejectUpdate,
    (request) => {
      s.revision = { ...request, revisionId: uuid4() };
      s.testsStarted = false;
      job.moveTo('TESTING');
      return job.status();
    },
    {
      validator: (request) => {
        assertRequest(s.state, 'reject');
        if (!request?.feedback?.trim())
          throw new Error('reject needs feedback: say what was wrong with the test result');
      },
    },
  );
  setHandler(pauseUpdate, moveTo('PAUSED', 'paused by request'), {
    validator: () => assertRequest(s.state, 'pause'),
  });
  setHandler(
    resumeUpdate,
    (request) => {
      // From the Web UI or the Temporal CLI an update may come without input.
      if (request?.budgetUsd !== undefined) s.budgetUsd = request.budgetUsd;
      s.pausedUntil = null;
      resumeBreaker(job, request?.ignoreBreaker === true);
      job.moveTo('RUNNING');
      return job.status();
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
}

/** The test phase, a step at a time: true once every test unit has settled. */
export async function runTests(job: JobRun): Promise<boolean> {
  const { s } = job;
  if (!s.testsStarted) {
    await startTests(job);
    return false;
  }
  for (let i = dueIndex(s.queue, 'test', Date.now()); i >= 0; i = dueIndex(s.queue, 'test', Date.now())) {
    const again = s.queue.splice(i, 1)[0]!;
    startUnit(job, again, 'test', again);
  }
  return job.running.size === 0 && s.queue.length === 0;
}

async function startTests(job: JobRun): Promise<void> {
  const { s, settings } = job;
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
      job.moveTo('READY', `the revised prompt was not used: ${describeFailure(err)}`);
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
  const units = await store.pageUnits({ jobId: settings.jobId, afterUnitId: 0, limit: job.testUnitCount });
  for (const unit of units) startUnit(job, unit, 'test');
  s.testsStarted = true;
}

/** After approval, failed test units go back to pending and run again in the batch. */
export async function releaseFailedTests(job: JobRun): Promise<void> {
  const { s } = job;
  const retry = s.testResults.filter((r) => r.status !== 'succeeded');
  if (retry.length === 0) return;
  for (const r of retry) s[r.status] -= 1;
  s.testResults = s.testResults.filter((r) => r.status === 'succeeded');
  await store.resetUnits({ jobId: job.settings.jobId, unitIds: retry.map((r) => r.unitId) });
}

/** Start units while the window has room: queued ones first, then new ones, paged from Postgres. */
export async function fillWindow(job: JobRun): Promise<void> {
  const { s, settings } = job;
  for (;;) {
    const next = nextStart(job.view());
    switch (next.kind) {
      case 'queued': {
        const again = s.queue.splice(next.index, 1)[0]!;
        startUnit(job, again, 'batch', again);
        break;
      }
      case 'page': {
        const page = await store.pageUnits({
          jobId: settings.jobId,
          afterUnitId: job.buffer.at(-1)?.unitId ?? s.cursor,
          limit: next.limit,
        });
        job.buffer.push(...page);
        job.exhausted = page.length < next.limit;
        break;
      }
      case 'units': {
        const units = job.buffer.splice(0, next.count);
        s.cursor = units.at(-1)!.unitId;
        if (units.length === 1) startUnit(job, units[0]!, 'batch');
        else startGroup(job, units, 'batch');
        break;
      }
      case 'none':
        return;
    }
  }
}

/** Unit ids 1…total, a slice per local activity (about a second's work each). */
export async function forEachIdSlice(
  job: JobRun,
  work: (range: { from: number; to: number }) => Promise<void>,
): Promise<void> {
  for (let from = 1; from <= job.settings.totalUnits; from += ID_SLICE) await work({ from, to: from + ID_SLICE - 1 });
}

/** A retried job (its search attribute set at start) goes on from what Postgres says, its chosen units pending. */
export async function startRetry(job: JobRun, statuses: Exclude<UnitOutcomeStatus, 'succeeded'>[]): Promise<void> {
  const { s, settings } = job;
  await forEachIdSlice(job, (range) => store.retryUnits({ jobId: settings.jobId, statuses, ...range }));
  Object.assign(s, await store.jobTotals({ jobId: settings.jobId }), { state: 'RUNNING', testsStarted: true });
  s.message = `retrying ${settings.totalUnits - job.settledCount()} ${statuses.join(' and ')} units`;
}
