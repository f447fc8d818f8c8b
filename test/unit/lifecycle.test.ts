import { describe, expect, it } from '@jest/globals';
import {
  assertMove,
  assertRequest,
  canMove,
  IllegalMoveError,
  IllegalRequestError,
  isTerminal,
  JOB_STATES,
  MOVES,
  REQUESTS,
  type JobRequest,
  type JobState,
} from '../../src/domain/index.js';

const REQUEST_NAMES = Object.keys(REQUESTS) as JobRequest[];

describe('job lifecycle', () => {
  it('walks the documented paths', () => {
    const paths: JobState[][] = [
      ['CREATED', 'TESTING', 'READY', 'TESTING', 'READY', 'RUNNING', 'PAUSED', 'RUNNING', 'COMPLETED'],
      ['CREATED', 'RUNNING', 'FAILED'],
      ['CREATED', 'TESTING', 'READY', 'RUNNING', 'PAUSED', 'COMPLETED'],
      ['CREATED', 'TESTING', 'CANCELLED'],
      ['CREATED', 'RUNNING', 'PAUSED', 'CANCELLED'],
    ];
    for (const path of paths) {
      for (let i = 1; i < path.length; i++) expect(() => assertMove(path[i - 1]!, path[i]!)).not.toThrow();
    }
  });

  it.each([
    ['TESTING', 'RUNNING'],
    ['READY', 'PAUSED'],
    ['PAUSED', 'READY'],
    ['RUNNING', 'TESTING'],
    ['RUNNING', 'READY'],
    ['CREATED', 'COMPLETED'],
    ['COMPLETED', 'RUNNING'],
    ['CANCELLED', 'RUNNING'],
  ] as [JobState, JobState][])('refuses %s → %s', (from, to) => {
    expect(canMove(from, to)).toBe(false);
    expect(() => assertMove(from, to)).toThrow(IllegalMoveError);
    expect(() => assertMove(from, to)).toThrow(`illegal job state change ${from} → ${to}`);
  });

  it('can cancel from every state before the end, and from none after', () => {
    for (const state of JOB_STATES) expect(canMove(state, 'CANCELLED')).toBe(!isTerminal(state));
  });

  it('ends in exactly COMPLETED, FAILED, CANCELLED and EXPIRED', () => {
    expect(JOB_STATES.filter(isTerminal)).toEqual(['COMPLETED', 'FAILED', 'CANCELLED', 'EXPIRED']);
  });

  it('can expire from every state before the end', () => {
    for (const state of JOB_STATES) expect(canMove(state, 'EXPIRED')).toBe(!isTerminal(state));
  });

  it('lets every request but retry make only moves the table allows; retry applies to ended jobs only', () => {
    for (const name of REQUEST_NAMES.filter((n) => n !== 'retry')) {
      for (const from of REQUESTS[name].from) expect(canMove(from, REQUESTS[name].to)).toBe(true);
    }
    // A retry is a new run of the job's workflow, not a move of the ended one.
    expect(REQUESTS.retry.from).toEqual(JOB_STATES.filter(isTerminal));
  });

  it('accepts each request exactly in the states it names', () => {
    for (const name of REQUEST_NAMES) {
      for (const state of JOB_STATES) {
        const allowed = (REQUESTS[name].from as readonly JobState[]).includes(state);
        if (allowed) expect(() => assertRequest(state, name)).not.toThrow();
        else expect(() => assertRequest(state, name)).toThrow(IllegalRequestError);
      }
    }
  });

  it.each([
    [
      'RUNNING',
      'approve',
      'cannot approve a job that is RUNNING; approve applies to a READY job, after its test units ran',
    ],
    [
      'TESTING',
      'reject',
      'cannot reject a job that is TESTING; reject applies to a READY job, after its test units ran',
    ],
    ['READY', 'pause', 'cannot pause a job that is READY; pause applies to a RUNNING job'],
    ['RUNNING', 'resume', 'cannot resume a job that is RUNNING; resume applies to a PAUSED job'],
    ['COMPLETED', 'pause', 'cannot pause a job that is COMPLETED; pause applies to a RUNNING job'],
  ] as [JobState, JobRequest, string][])('explains a refused request: %s + %s', (state, request, message) => {
    let error: unknown;
    try {
      assertRequest(state, request);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(IllegalRequestError);
    expect((error as IllegalRequestError).message).toBe(message);
    expect(error).toMatchObject({ state, request });
  });

  it('has a row for every state', () => {
    expect(Object.keys(MOVES).sort()).toEqual([...JOB_STATES].sort());
  });
});
