/** The budget rule: a job whose spend reached its budget starts no more units and pauses. */
import type { JobStatus } from './job.js';

export function budgetReached(costUsd: number, budgetUsd: number | null): boolean {
  return budgetUsd !== null && costUsd >= budgetUsd;
}

/** Paused with its budget spent: read from the numbers, not from the wording of the message. */
export function budgetPaused(status: Pick<JobStatus, 'state' | 'costUsd' | 'budgetUsd'>): boolean {
  return status.state === 'PAUSED' && budgetReached(status.costUsd, status.budgetUsd);
}
