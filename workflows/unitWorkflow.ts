/**
 * One unit of work: run the agent under Temporal's retry policy, record the final outcome,
 * and tell the job. Visible in the Web UI as `<jobId>/<key>` with its own attempts,
 * failures and heartbeats; a failed unit shows as a failed workflow, a cancelled one as cancelled.
 */
import {
  ActivityCancellationType,
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  getExternalWorkflowHandle,
  isCancellation,
  log,
  proxyActivities,
  proxyLocalActivities,
} from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import { NON_RETRYABLE_AGENT_ERRORS } from './agentErrors.js';
import { unitFinishedSignal, type UnitFinished, type UnitWorkflowInput } from './messages.js';

const { finishUnit } = proxyLocalActivities<Activities>({
  startToCloseTimeout: '30s',
  retry: { maximumInterval: '10s' },
});

export async function unitWorkflow(input: UnitWorkflowInput): Promise<UnitFinished> {
  const { runAgent } = proxyActivities<Activities>({
    startToCloseTimeout: `${input.settings.timeoutSeconds}s`,
    heartbeatTimeout: `${input.settings.heartbeatTimeoutSeconds}s`,
    retry: {
      maximumAttempts: input.settings.maxAttempts,
      initialInterval: `${input.settings.retryInitialIntervalSeconds}s`,
      backoffCoefficient: 2,
      maximumInterval: '5m',
      nonRetryableErrorTypes: [...NON_RETRYABLE_AGENT_ERRORS],
    },
    summary: input.key,
    // A cancelled unit reports only once its agent process is really gone.
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  });
  const unit = { jobId: input.jobId, unitId: input.unitId };

  let finished: UnitFinished;
  let failure: unknown = null;
  try {
    const summary = await runAgent({ ...unit, templateVersion: input.templateVersion, phase: input.phase });
    finished = { ...report(input), status: 'succeeded', costUsd: summary.costUsd, error: null };
  } catch (err) {
    failure = err;
    const status = isCancellation(err) ? 'cancelled' : 'failed';
    const error = status === 'cancelled' ? 'cancelled' : describeFailure(err);
    // Recording the outcome must survive our own cancellation.
    const { costUsd } = await CancellationScope.nonCancellable(() => finishUnit({ ...unit, status, error }));
    finished = { ...report(input), status, costUsd, error };
  }

  try {
    // By workflow id, without run id, so it reaches the job's current run after continue-as-new.
    await CancellationScope.nonCancellable(() =>
      getExternalWorkflowHandle(input.jobId).signal(unitFinishedSignal, finished),
    );
  } catch (err) {
    log.warn('could not report to the job; it has ended', { jobId: input.jobId, error: String(err) });
  }

  if (failure && isCancellation(failure)) throw failure;
  if (failure) throw ApplicationFailure.nonRetryable(finished.error ?? 'unit failed', 'UnitFailed');
  return finished;
}

function report(input: UnitWorkflowInput): Pick<UnitFinished, 'unitId' | 'key' | 'phase'> {
  return { unitId: input.unitId, key: input.key, phase: input.phase };
}

function describeFailure(err: unknown): string {
  const cause = err instanceof ActivityFailure && err.cause ? err.cause : err;
  if (cause instanceof ApplicationFailure && cause.type) return `${cause.type}: ${cause.message}`;
  return cause instanceof Error ? cause.message : String(cause);
}
