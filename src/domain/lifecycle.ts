/**
 * The job lifecycle as a pure state machine: one table of legal moves. The workflow asserts every
 * move against it, and the update validators refuse an illegal request before it reaches history,
 * saying what would be legal.
 */
export const JOB_STATES = [
  'CREATED',
  'TESTING',
  'READY',
  'RUNNING',
  'PAUSED',
  'COMPLETED',
  'FAILED',
  'CANCELLED',
  'EXPIRED',
] as const;
export type JobState = (typeof JOB_STATES)[number];

/** From each state, the states a job may move to. */
export const MOVES: Record<JobState, readonly JobState[]> = {
  CREATED: ['TESTING', 'RUNNING', 'CANCELLED', 'EXPIRED'],
  TESTING: ['READY', 'CANCELLED', 'EXPIRED'],
  READY: ['RUNNING', 'TESTING', 'CANCELLED', 'EXPIRED'],
  RUNNING: ['PAUSED', 'COMPLETED', 'FAILED', 'CANCELLED', 'EXPIRED'],
  PAUSED: ['RUNNING', 'COMPLETED', 'FAILED', 'CANCELLED', 'EXPIRED'],
  COMPLETED: [],
  FAILED: [],
  CANCELLED: [],
  // `expiresAfter` passed before every unit settled: the unfinished units are expired.
  EXPIRED: [],
};

/** The requests people send, each a move from some states to one. */
export const REQUESTS = {
  approve: { from: ['READY'], to: 'RUNNING', hint: 'approve applies to a READY job, after its test units ran' },
  reject: { from: ['READY'], to: 'TESTING', hint: 'reject applies to a READY job, after its test units ran' },
  pause: { from: ['RUNNING'], to: 'PAUSED', hint: 'pause applies to a RUNNING job' },
  resume: { from: ['PAUSED'], to: 'RUNNING', hint: 'resume applies to a PAUSED job' },
  // Not a move of the ended run: a new run of the job's workflow starts RUNNING.
  retry: {
    from: ['COMPLETED', 'FAILED', 'CANCELLED', 'EXPIRED'],
    to: 'RUNNING',
    hint: 'retry applies to an ended job (COMPLETED, FAILED, CANCELLED or EXPIRED)',
  },
} as const satisfies Record<string, { from: readonly JobState[]; to: JobState; hint: string }>;
export type JobRequest = keyof typeof REQUESTS;

export function isTerminal(state: JobState): boolean {
  return MOVES[state].length === 0;
}

export function canMove(from: JobState, to: JobState): boolean {
  return MOVES[from].includes(to);
}

/** A move the workflow was about to make that the lifecycle forbids: a bug, not bad input. */
export class IllegalMoveError extends Error {
  constructor(from: JobState, to: JobState) {
    super(`illegal job state change ${from} → ${to}`);
    this.name = 'IllegalMoveError';
  }
}

export function assertMove(from: JobState, to: JobState): void {
  if (!canMove(from, to)) throw new IllegalMoveError(from, to);
}

/** A request that does not apply to the job's state: the message says what would. */
export class IllegalRequestError extends Error {
  constructor(
    readonly state: JobState,
    readonly request: JobRequest,
  ) {
    super(`cannot ${request} a job that is ${state}; ${REQUESTS[request].hint}`);
    this.name = 'IllegalRequestError';
  }
}

/** Whether the request applies to a job in this state (the dashboard enables its buttons by it). */
export function requestApplies(state: JobState, request: JobRequest): boolean {
  return (REQUESTS[request].from as readonly JobState[]).includes(state);
}

export function assertRequest(state: JobState, request: JobRequest): void {
  if (!requestApplies(state, request)) throw new IllegalRequestError(state, request);
}
