/** Short Postgres writes and reads the workflows need; run as local activities. */
import { ApplicationFailure } from '@temporalio/activity';
import { AGENT_ERROR_TYPES } from '../src/domain/index.js';
import type { JobState, UnitOutcomeStatus, UnitRef, UnitStatus } from '../src/domain/index.js';
import { sourceKind } from '../src/sources/index.js';
import { storedSpec } from '../src/spec/stored.js';
import { checkTemplateForStoredUnits, TemplateError } from '../src/spec/template.js';
import { getJob, getTemplate, latestTemplateVersion, recordJobState, saveTemplateVersion } from '../src/store/jobs.js';
import {
  countUnits,
  endUnfinishedUnits,
  failUnsettledUnits,
  firstUnitMissing,
  pagePendingUnits,
  resetUnits,
  resetUnitsWithStatus,
  settleUnit,
  unitTotals,
} from '../src/store/units.js';
import type { ActivityDeps } from './index.js';

export function createStoreActivities({ db }: Pick<ActivityDeps, 'db'>) {
  return {
    async pageUnits(input: { jobId: string; afterUnitId: number; limit: number }): Promise<UnitRef[]> {
      return pagePendingUnits(db, input.jobId, input.afterUnitId, input.limit);
    },

    async resetUnits(input: { jobId: string; unitIds: number[] }): Promise<void> {
      await resetUnits(db, input.jobId, input.unitIds);
    },

    /** The job was cancelled or expired: the unsettled units among ids `from`…`to` end so. */
    async endUnfinishedUnits(input: {
      jobId: string;
      status: 'cancelled' | 'expired';
      from: number;
      to: number;
    }): Promise<void> {
      await endUnfinishedUnits(db, input.jobId, input.status, input.from, input.to);
    },

    /** `retry`: the units among ids `from`…`to` in one of `statuses` go back to pending. */
    async retryUnits(input: {
      jobId: string;
      statuses: Exclude<UnitOutcomeStatus, 'succeeded'>[];
      from: number;
      to: number;
    }): Promise<void> {
      await resetUnitsWithStatus(db, input.jobId, input.statuses, input.from, input.to);
    },

    /** Where a retried job starts from: its units' outcomes and spend, and its newest prompt. */
    async jobTotals(input: { jobId: string }): Promise<{
      succeeded: number;
      failed: number;
      cancelled: number;
      expired: number;
      costUsd: number;
      templateVersion: number;
    }> {
      const [{ counts, costUsd }, templateVersion] = await Promise.all([
        unitTotals(db, input.jobId),
        latestTemplateVersion(db, input.jobId),
      ]);
      const { succeeded, failed, cancelled, expired } = counts;
      return { succeeded, failed, cancelled, expired, costUsd, templateVersion };
    },

    /** The job ended: no unit is left pending or running (failUnsettledUnits), and its counts are these. */
    async reconcileUnits(input: { jobId: string }): Promise<{
      succeeded: number;
      failed: number;
      cancelled: number;
      expired: number;
      unsettled: number;
    }> {
      const unsettled = await failUnsettledUnits(db, input.jobId);
      const { succeeded, failed, cancelled, expired } = (await unitTotals(db, input.jobId)).counts;
      return { succeeded, failed, cancelled, expired, unsettled };
    },

    async countUnits(input: { jobId: string; status: UnitStatus }): Promise<number> {
      return countUnits(db, input.jobId, input.status);
    },

    async recordJobState(input: {
      jobId: string;
      state: JobState;
      costUsd: number;
      message: string | null;
    }): Promise<void> {
      await recordJobState(db, input.jobId, input.state, input.costUsd, input.message);
    },

    /** Store a reject's feedback and (revised or same) template as the next version. */
    async saveTemplate(input: {
      jobId: string;
      currentVersion: number;
      feedback: string;
      prompt?: string;
      revisionId: string;
    }): Promise<number> {
      const job = await getJob(db, input.jobId);
      if (!job) throw ApplicationFailure.nonRetryable(`job ${input.jobId} is not in the database`, 'JobMissing');
      const template = input.prompt ?? (await getTemplate(db, input.jobId, input.currentVersion));
      if (template === null)
        throw ApplicationFailure.nonRetryable(`template v${input.currentVersion} is missing`, 'JobMissing');
      const { fields } = sourceKind(storedSpec(job).source);
      try {
        await checkTemplateForStoredUnits(template, fields, (names) => firstUnitMissing(db, input.jobId, names));
      } catch (err) {
        if (err instanceof TemplateError)
          throw ApplicationFailure.nonRetryable(err.message, AGENT_ERROR_TYPES.badTemplate);
        throw err;
      }
      return saveTemplateVersion(db, input.jobId, template, input.feedback, input.revisionId);
    },

    /**
     * A unit's execution ended without success: record it; returns how it ended and what the
     * execution spent. An attempt of it that did succeed (recorded by a group that then failed or
     * was cancelled before it reported) stands: the unit is succeeded. A settled unit stays so.
     */
    async finishUnit(input: {
      jobId: string;
      unitId: number;
      runKey: string;
      status: Exclude<UnitOutcomeStatus, 'succeeded'>;
      error: string | null;
    }): Promise<{ status: UnitOutcomeStatus; costUsd: number }> {
      const { status, runCostUsd } = await settleUnit(db, input.jobId, input.unitId, input);
      return { status, costUsd: runCostUsd };
    },
  };
}
