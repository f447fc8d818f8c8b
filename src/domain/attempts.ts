import { AGENT_ERROR_TYPES } from './agentErrors.js';

/** What an agent attempt reported, whatever its outcome: the adapters say it, the store keeps it. */
export interface AttemptReport {
  sessionId: string | null;
  result: string | null;
  isError: boolean | null;
  subtype: string | null;
  terminalReason: string | null;
  apiErrorStatus: number | null;
  numTurns: number | null;
  costUsd: number;
  /** As the agent measured it, if it did; else the process's wall time. */
  durationMs: number | null;
  toolsUsed: string[];
  /** The structured output the agent gave (claude's `structured_output`), when it has its own. */
  output?: unknown;
}

/**
 * How attempts end that do not count against a unit's attempts: the API's refusals (the job's
 * governor handles them), a worker that went away or could not reach Postgres, a run cancelled,
 * a success superseded or still waiting for its check or commit.
 */
const UNCOUNTED = new Set<string>([
  AGENT_ERROR_TYPES.rateLimited,
  AGENT_ERROR_TYPES.overloaded,
  AGENT_ERROR_TYPES.usageLimited,
  AGENT_ERROR_TYPES.interrupted,
  AGENT_ERROR_TYPES.storeUnavailable,
  'Cancelled',
  'Superseded',
  'VerifyPending',
  'CommitPending',
]);

/**
 * Of an execution's finished attempts (their error types), how many failed in a way that counts:
 * a unit fails for good once this reaches its `maxAttempts` (its retries + 1). One rule, one
 * place: Postgres's record of attempts, whatever Temporal's retry count or the job's queue say.
 */
export function countedFailures(errorTypes: readonly (string | null)[]): number {
  return errorTypes.filter((t) => t !== null && !UNCOUNTED.has(t)).length;
}
