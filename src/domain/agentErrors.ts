/**
 * ApplicationFailure types raised by the agent activity. Shared by the classifier (which raises
 * them) and the job workflow (whose retry policy must never retry the permanent ones, even if
 * an activity forgot to mark a failure non-retryable).
 */
export const AGENT_ERROR_TYPES = {
  auth: 'AgentAuthError',
  billing: 'AgentBillingError',
  invalidRequest: 'AgentInvalidRequest',
  modelNotFound: 'AgentModelNotFound',
  binaryMissing: 'AgentBinaryMissing',
  badTemplate: 'BadTemplate',
  maxTurns: 'AgentMaxTurns',
  budget: 'AgentBudgetExceeded',
  rateLimited: 'AgentRateLimited',
  overloaded: 'AgentOverloaded',
  /** A subscription's usage window is spent until a reset time: the job pauses until then. */
  usageLimited: 'AgentUsageLimited',
  apiError: 'AgentApiError',
  noResult: 'AgentNoResult',
  idle: 'AgentIdle',
  interrupted: 'AgentInterrupted',
  /** A unit run in a group outlived its own timeout. */
  timedOut: 'AgentTimedOut',
  failed: 'AgentFailed',
  /** The unit's structured output is missing or does not fit the spec's schema. */
  outputInvalid: 'OutputInvalid',
  /** The unit's verify check still failed after its repairs. */
  verifyFailed: 'VerifyFailed',
  /** Git could not prepare or commit a unit's worktree (a lock held, a disk full): retried. */
  worktreeFailed: 'WorktreeFailed',
  /** A unit's branch exists with commits the job did not make: the unit leaves it alone. */
  branchTaken: 'BranchTaken',
  /** A `command` agent exited with a code the spec lists as not worth retrying. */
  exitNonRetryable: 'AgentExitNonRetryable',
  /** The agent wrote more than its `limits.outputBytes`: stopped, and the unit fails (it would again). */
  outputTooLarge: 'OutputTooLarge',
  /** Postgres could not be reached to read or record the attempt: it runs again. */
  storeUnavailable: 'StoreUnavailable',
} as const;

export type AgentErrorType = (typeof AGENT_ERROR_TYPES)[keyof typeof AGENT_ERROR_TYPES];

export const NON_RETRYABLE_AGENT_ERRORS: readonly AgentErrorType[] = [
  AGENT_ERROR_TYPES.auth,
  AGENT_ERROR_TYPES.billing,
  AGENT_ERROR_TYPES.invalidRequest,
  AGENT_ERROR_TYPES.modelNotFound,
  AGENT_ERROR_TYPES.binaryMissing,
  AGENT_ERROR_TYPES.badTemplate,
  AGENT_ERROR_TYPES.maxTurns,
  AGENT_ERROR_TYPES.budget,
  AGENT_ERROR_TYPES.exitNonRetryable,
  AGENT_ERROR_TYPES.verifyFailed,
  AGENT_ERROR_TYPES.branchTaken,
  AGENT_ERROR_TYPES.outputTooLarge,
];

/** Failures that say the API refused the request for now: the job's governor handles them. */
export const THROTTLE_KINDS = {
  [AGENT_ERROR_TYPES.rateLimited]: 'rateLimited',
  [AGENT_ERROR_TYPES.overloaded]: 'overloaded',
  [AGENT_ERROR_TYPES.usageLimited]: 'usageLimited',
} as const satisfies Partial<Record<AgentErrorType, string>>;

export function throttleKind(type: string): (typeof THROTTLE_KINDS)[keyof typeof THROTTLE_KINDS] | null {
  return Object.hasOwn(THROTTLE_KINDS, type) ? THROTTLE_KINDS[type as keyof typeof THROTTLE_KINDS] : null;
}
