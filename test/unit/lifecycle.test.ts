import { describe, it, expect } from '@jest/globals';
import {
  assertTransition,
  canTransition,
  IllegalTransitionError,
  isTerminal,
  JOB_STATES,
  type JobEvent,
  type JobState,
} from '../../workflows/lifecycle.js';

/** The lifecycle as the design states it: for each event, the states it may leave. */
const LEGAL: Record<JobEvent, readonly JobState[]> = {
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
const EVENTS = Object.keys(LEGAL) as JobEvent[];
const TERMINAL: readonly JobState[] = ['COMPLETED', 'FAILED', 'CANCELLED'];

const legalPairs = EVENTS.flatMap((event) => LEGAL[event].map((state) => [event, state] as const));
const illegalPairs = EVENTS.flatMap((event) =>
  JOB_STATES.filter((state) => !LEGAL[event].includes(state)).map((state) => [event, state] as const),
);

function transitionError(state: JobState, event: JobEvent): IllegalTransitionError {
  try {
    assertTransition(state, event);
  } catch (err) {
    expect(err).toBeInstanceOf(IllegalTransitionError);
    return err as IllegalTransitionError;
  }
  throw new Error(`expected ${event} from ${state} to be refused`);
}

describe('job lifecycle', () => {
  it('knows exactly the eight states', () => {
    expect([...JOB_STATES].sort()).toEqual(['CANCELLED', 'COMPLETED', 'CREATED', 'FAILED', 'PAUSED', 'READY', 'RUNNING', 'TESTING']);
  });

  it.each(legalPairs)('allows %s from %s', (event, state) => {
    expect(canTransition(state, event)).toBe(true);
    expect(() => assertTransition(state, event)).not.toThrow();
  });

  it.each([
    ['approve', 'RUNNING'],
    ['approve', 'TESTING'],
    ['reject', 'RUNNING'],
    ['resume', 'RUNNING'],
    ['resume', 'READY'],
    ['pause', 'READY'],
    ['pause', 'PAUSED'],
    ['start', 'RUNNING'],
    ['testsFinished', 'READY'],
    ['budgetReached', 'PAUSED'],
    ['finish', 'READY'],
    ['cancel', 'COMPLETED'],
  ] as const)('refuses %s from %s, naming the event and the state', (event, state) => {
    expect(canTransition(state, event)).toBe(false);
    const err = transitionError(state, event);
    expect(err.message).toContain(event);
    expect(err.message).toContain(state);
    expect(err.event).toBe(event);
    expect(err.state).toBe(state);
    expect(err.name).toBe('IllegalTransitionError');
  });

  it('explains what approve, pause and resume apply to', () => {
    expect(transitionError('RUNNING', 'approve').message).toBe('cannot approve a job that is RUNNING; approve applies to a READY job, after its test units ran');
    expect(transitionError('READY', 'pause').message).toMatch(/pause applies to a RUNNING job/);
    expect(transitionError('RUNNING', 'resume').message).toMatch(/resume applies to a PAUSED job/);
  });

  it.each(TERMINAL)('refuses every event from the terminal state %s', (state) => {
    for (const event of EVENTS) {
      expect(canTransition(state, event)).toBe(false);
      const err = transitionError(state, event);
      expect(err.message).toContain(event);
      expect(err.message).toContain(state);
    }
  });

  it('refuses every pair not in the table (exhaustive)', () => {
    expect(illegalPairs.length).toBe(EVENTS.length * JOB_STATES.length - legalPairs.length);
    for (const [event, state] of illegalPairs) {
      expect([event, state, canTransition(state, event)]).toEqual([event, state, false]);
    }
  });

  it('marks exactly COMPLETED, FAILED and CANCELLED as terminal', () => {
    for (const state of JOB_STATES) expect([state, isTerminal(state)]).toEqual([state, TERMINAL.includes(state)]);
  });

  it('lets every non-terminal state be cancelled', () => {
    for (const state of JOB_STATES.filter((s) => !isTerminal(s))) expect(canTransition(state, 'cancel')).toBe(true);
  });
});
