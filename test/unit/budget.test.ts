import { describe, expect, it } from '@jest/globals';
import { budgetPaused, budgetReached, type JobStatus } from '../../src/domain/index.js';

const status = (over: Partial<JobStatus>): JobStatus => ({
  jobId: 'job-x',
  name: 'x',
  state: 'PAUSED',
  counts: { total: 4, pending: 2, running: 0, succeeded: 2, failed: 0, cancelled: 0 },
  costUsd: 0.15,
  budgetUsd: 0.12,
  concurrency: 1,
  templateVersion: 1,
  testResults: [],
  message: null,
  throttle: { allowed: 1, rateLimitedLastMinute: 0, pausedUntil: null, text: null },
  ...over,
});

describe('budgetPaused', () => {
  it('is a PAUSED job whose spend reached its budget', () => {
    expect(budgetPaused(status({}))).toBe(true);
    expect(budgetPaused(status({ costUsd: 0.12 }))).toBe(true);
  });

  it('is not a job paused by request, one without a budget, or one still running', () => {
    expect(budgetPaused(status({ costUsd: 0.05 }))).toBe(false);
    expect(budgetPaused(status({ budgetUsd: null }))).toBe(false);
    expect(budgetPaused(status({ state: 'RUNNING' }))).toBe(false);
  });
});

describe('budgetReached', () => {
  it('holds once the spend reaches the budget, never without a budget', () => {
    expect(budgetReached(0.12, 0.12)).toBe(true);
    expect(budgetReached(0.11, 0.12)).toBe(false);
    expect(budgetReached(1000, null)).toBe(false);
  });
});
