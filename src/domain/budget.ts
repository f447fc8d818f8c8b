/**
 * The budget rule: a job whose spend reached its budget starts no more units and pauses. And the
 * forecast shown at the approval gate: what the whole job will cost, at the test units' price.
 */
import type { JobStatus } from './job.js';
import type { TestUnitResult } from './units.js';

export interface Forecast {
  units: number;
  /** The mean cost of the current prompt's test units. */
  perUnitUsd: number;
  totalUsd: number;
}

/** The whole job at the current prompt's test units' mean cost; null before any test ran. */
export function forecastCost(
  testResults: readonly TestUnitResult[],
  templateVersion: number,
  totalUnits: number,
): Forecast | null {
  const current = testResults.filter((r) => r.templateVersion === templateVersion);
  if (current.length === 0) return null;
  const perUnitUsd = current.reduce((sum, r) => sum + r.costUsd, 0) / current.length;
  return { units: totalUnits, perUnitUsd, totalUsd: perUnitUsd * totalUnits };
}

/** The forecast exceeds the budget: approval must say it knows. */
export function forecastOverBudget(forecast: Forecast | null, budgetUsd: number | null): boolean {
  return forecast !== null && budgetUsd !== null && forecast.totalUsd > budgetUsd;
}

export function budgetReached(costUsd: number, budgetUsd: number | null): boolean {
  return budgetUsd !== null && costUsd >= budgetUsd;
}

/**
 * How many more units the budget has room for at the job's cost per settled unit so far, less
 * those already running (Infinity without a budget or a cost yet). The budget is checked between
 * activities, so a group of short units is held to this: it cannot spend far past the budget.
 */
export function unitsWithinBudget(job: {
  costUsd: number;
  budgetUsd: number | null;
  settled: number;
  running: number;
}): number {
  if (job.budgetUsd === null || job.settled === 0 || job.costUsd <= 0) return Infinity;
  const perUnit = job.costUsd / job.settled;
  return Math.max(0, Math.floor((job.budgetUsd - job.costUsd) / perUnit) - job.running);
}

/** Paused with its budget spent: read from the numbers, not from the wording of the message. */
export function budgetPaused(status: Pick<JobStatus, 'state' | 'costUsd' | 'budgetUsd'>): boolean {
  return status.state === 'PAUSED' && budgetReached(status.costUsd, status.budgetUsd);
}
