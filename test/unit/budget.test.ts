import { describe, expect, it } from '@jest/globals';
import {
  budgetPaused,
  budgetReached,
  forecastCost,
  forecastOverBudget,
  unitsWithinBudget,
  type JobStatus,
} from '../../src/domain/index.js';

const status = (over: Partial<JobStatus>): JobStatus => ({
  jobId: 'job-x',
  name: 'x',
  state: 'PAUSED',
  counts: { total: 4, pending: 2, running: 0, succeeded: 2, failed: 0, cancelled: 0, expired: 0 },
  costUsd: 0.15,
  budgetUsd: 0.12,
  concurrency: 1,
  templateVersion: 1,
  testResults: [],
  message: null,
  throttle: { allowed: 1, rateLimitedLastMinute: 0, pausedUntil: null, text: null },
  forecast: null,
  webhook: null,
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

describe('forecastCost', () => {
  const test = (templateVersion: number, costUsd: number, status: 'succeeded' | 'failed' = 'succeeded') => ({
    unitId: 1,
    key: 'k',
    phase: 'test' as const,
    status,
    costUsd,
    error: null,
    templateVersion,
  });

  it('is nothing before a test unit ran', () => {
    expect(forecastCost([], 1, 800)).toBeNull();
    expect(forecastOverBudget(null, 10)).toBe(false);
  });

  it("prices every unit at the mean of the current prompt's test units, failed ones included", () => {
    const forecast = forecastCost([test(1, 0.5), test(2, 0.04), test(2, 0.05, 'failed')], 2, 800);
    expect(forecast).toEqual({ units: 800, perUnitUsd: expect.closeTo(0.045, 10), totalUsd: expect.closeTo(36, 8) });
    expect(forecastOverBudget(forecast, 50)).toBe(false);
    expect(forecastOverBudget(forecast, 30)).toBe(true);
    expect(forecastOverBudget(forecast, null)).toBe(false);
  });
});

describe('unitsWithinBudget', () => {
  it('is unlimited without a budget, or before anything settled or cost', () => {
    expect(unitsWithinBudget({ costUsd: 1, budgetUsd: null, settled: 3, running: 0 })).toBe(Infinity);
    expect(unitsWithinBudget({ costUsd: 0, budgetUsd: 5, settled: 0, running: 0 })).toBe(Infinity);
    expect(unitsWithinBudget({ costUsd: 0, budgetUsd: 5, settled: 4, running: 0 })).toBe(Infinity);
  });

  it('counts the units the rest of the budget pays for at the cost so far, less those running', () => {
    // $0.05 a unit, $0.07 left: one more; with one running, none.
    expect(unitsWithinBudget({ costUsd: 0.05, budgetUsd: 0.12, settled: 1, running: 0 })).toBe(1);
    expect(unitsWithinBudget({ costUsd: 0.05, budgetUsd: 0.12, settled: 1, running: 1 })).toBe(0);
    expect(unitsWithinBudget({ costUsd: 10, budgetUsd: 19, settled: 10, running: 3 })).toBe(6);
    // Spent past it: no room (never negative).
    expect(unitsWithinBudget({ costUsd: 0.15, budgetUsd: 0.12, settled: 3, running: 2 })).toBe(0);
  });
});
