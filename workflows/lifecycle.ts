/**
 * The job lifecycle as a pure state machine: which message may move a job from which state.
 * Update validators call `assertTransition` so an illegal request is refused before it is
 * written to history, with a message that tells the caller what would be legal.
 */
export const JOB_STATES = ['CREATED', 'TESTING', 'READY', 'RUNNING', 'PAUSED', 'COMPLETED', 'FAILED', 'CANCELLED'] as const;
export type JobState = (typeof JOB_STATES)[number];

export type JobEvent =
  | 'start'
  | 'testsFinished'
  | 'approve'
  | 'reject'
  | 'pause'
  | 'resume'
  | 'budgetReached'
  | 'finish'
  | 'cancel';

const TERMINAL: ReadonlySet<JobState> = new Set(['COMPLETED', 'FAILED', 'CANCELLED']);

/** For each event, the states it may leave. The target state is decided by the caller. */
const ALLOWED_FROM: Record<JobEvent, readonly JobState[]> = {
  start: ['CREATED'],
  testsFinished: ['TESTING'],
  approve: ['READY'],
  reject: ['READY'],
  pause: ['RUNNING'],
  resume: ['PAUSED'],
  budgetReached: ['RUNNING'],
  finish: ['RUNNING', 'PAUSED'],
  cancel: ['CREATED', 'TESTING', 'READY', 'RUNNING', 'PAUSED'],
};

const HINTS: Partial<Record<JobEvent, string>> = {
  approve: 'approve applies to a READY job, after its test units ran',
  reject: 'reject applies to a READY job, after its test units ran',
  pause: 'pause applies to a RUNNING job',
  resume: 'resume applies to a PAUSED job',
};

export function isTerminal(state: JobState): boolean {
  return TERMINAL.has(state);
}

export function canTransition(state: JobState, event: JobEvent): boolean {
  return ALLOWED_FROM[event].includes(state);
}

export class IllegalTransitionError extends Error {
  constructor(
    readonly state: JobState,
    readonly event: JobEvent,
  ) {
    const hint = HINTS[event] ? `; ${HINTS[event]}` : '';
    super(`cannot ${event} a job that is ${state}${hint}`);
    this.name = 'IllegalTransitionError';
  }
}

export function assertTransition(state: JobState, event: JobEvent): void {
  if (!canTransition(state, event)) throw new IllegalTransitionError(state, event);
}
