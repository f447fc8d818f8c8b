import { ApplicationFailure, type Context } from '@temporalio/activity';

/** The unit workflow run an activity works for: attempts and their costs are grouped by it. */
export function unitRunId(ctx: Context): string {
  const runId = ctx.info.workflowExecution?.runId;
  if (!runId) throw ApplicationFailure.nonRetryable('this activity must run inside a unit workflow', 'NoWorkflow');
  return runId;
}
