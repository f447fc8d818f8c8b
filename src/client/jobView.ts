/** A job as a person (in the dashboard) or an assistant (over MCP) judges it: its status and its test units' results. */
import { stageOfJob, type JobStatus } from '../domain/index.js';
import type { Session } from './session.js';
import { statusJson } from './statusJson.js';
import { newestAttempts } from './units.js';
import { workflowUiUrl } from './webUi.js';

const RESULT_EXCERPT_CHARS = 800;

/**
 * The status, with each test unit's newest result (shortened) to judge them by, the pipeline and
 * stage it is of, and its address in the Temporal Web UI.
 */
export async function jobView(session: Session, status: JobStatus) {
  const tested = status.testResults.filter((r) => r.templateVersion === status.templateVersion);
  const attempts = tested.length
    ? await newestAttempts(
        session,
        status.jobId,
        tested.map((r) => r.unitId),
      )
    : [];
  return {
    ...statusJson(status),
    pipeline: stageOfJob(status.jobId),
    temporalUiUrl: workflowUiUrl(session, status.jobId),
    testResults: tested.map((r) => {
      const result = attempts.find((a) => a.unitId === r.unitId)?.result ?? null;
      return {
        unitId: r.unitId,
        key: r.key,
        status: r.status,
        error: r.error,
        costUsd: r.costUsd,
        result: result && result.length > RESULT_EXCERPT_CHARS ? `${result.slice(0, RESULT_EXCERPT_CHARS)}…` : result,
      };
    }),
  };
}
