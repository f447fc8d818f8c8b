/** Short Postgres writes and reads the workflows need; run as local activities. */
import { ApplicationFailure } from '@temporalio/activity';
import { AGENT_ERROR_TYPES } from '../workflows/agentErrors.js';
import type { JobState } from '../workflows/lifecycle.js';
import type { UnitOutcomeStatus, UnitRef } from '../workflows/messages.js';
import { TemplateError, validateTemplate } from '../src/spec/template.js';
import { sourceFor } from '../src/sources/index.js';
import type { JobSpec } from '../src/spec/schema.js';
import { getJob, getTemplate, recordJobState, saveTemplateVersion } from '../src/store/jobs.js';
import { cancelUnfinishedUnits, completeUnit, pagePendingUnits, resetUnits } from '../src/store/units.js';
import type { ActivityDeps } from './index.js';

export function createStoreActivities({ db }: Pick<ActivityDeps, 'db'>) {
  return {
    async pageUnits(input: { jobId: string; afterUnitId: number; limit: number }): Promise<UnitRef[]> {
      return pagePendingUnits(db, input.jobId, input.afterUnitId, input.limit);
    },

    async resetUnits(input: { jobId: string; unitIds: number[] }): Promise<void> {
      await resetUnits(db, input.jobId, input.unitIds);
    },

    async cancelUnfinishedUnits(input: { jobId: string }): Promise<number> {
      return cancelUnfinishedUnits(db, input.jobId);
    },

    async recordJobState(input: { jobId: string; state: JobState; costUsd: number; message: string | null }): Promise<void> {
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
      if (template === null) throw ApplicationFailure.nonRetryable(`template v${input.currentVersion} is missing`, 'JobMissing');
      try {
        validateTemplate(template, sourceFor((job.spec as JobSpec).source).placeholders);
      } catch (err) {
        if (err instanceof TemplateError) throw ApplicationFailure.nonRetryable(err.message, AGENT_ERROR_TYPES.badTemplate);
        throw err;
      }
      return saveTemplateVersion(db, input.jobId, template, input.feedback, input.revisionId);
    },

    /** A unit's execution ended without success: record it; returns what the execution spent. */
    async finishUnit(input: {
      jobId: string;
      unitId: number;
      runKey: string;
      status: Exclude<UnitOutcomeStatus, 'succeeded'>;
      error: string | null;
    }): Promise<number> {
      const { runCostUsd } = await completeUnit(db, input.jobId, input.unitId, {
        status: input.status,
        runKey: input.runKey,
        result: null,
        error: input.error,
        sessionId: null,
      });
      return runCostUsd;
    },
  };
}
