/** A job as the workflow runs it and as every front end reads it. */
import type { BreakerSettings, BreakerStatus } from './breaker.js';
import type { Forecast } from './budget.js';
import type { JobState } from './lifecycle.js';
import type { TestUnitResult, UnitCounts } from './units.js';

/** How each unit's agent activity is scheduled; the agent's own options live in Postgres. */
export interface UnitRunSettings {
  timeoutSeconds: number;
  heartbeatTimeoutSeconds: number;
  maxAttempts: number;
  retryInitialIntervalSeconds: number;
  /** Short units may run several to an activity (absent in jobs started before groups: true). */
  groupShortUnits?: boolean;
}

export interface JobSettings {
  jobId: string;
  name: string;
  totalUnits: number;
  concurrency: number;
  testUnits: number;
  budgetUsd: number | null;
  /** The API's request limit, when the spec declares it: units start no faster. */
  requestsPerMinute?: number | null;
  /** The agent says when the API first answered an attempt: the job can start slowly (governor). */
  agentReportsAdmission?: boolean;
  /** The spec's priority (1 first … 5 last), when it sets one. */
  priority?: number | null;
  /** When the job expires (epoch ms, from `expiresAfter` at creation), if it does. */
  expiresAt?: number | null;
  /**
   * The job has a webhook. Its URL (which may carry a token) stays in the job's stored spec, out
   * of workflow history: the delivery reads it from there. Jobs created before carry `url` here.
   */
  webhook?: { url?: string; secretEnv?: string } | null;
  unit: UnitRunSettings;
  /** The breaker (breaker.ts); absent in jobs created before it, which never trip. */
  breaker?: BreakerSettings | null;
  /** How the aggregate step's agent run is scheduled, when the spec has one. */
  aggregate?: Omit<UnitRunSettings, 'groupShortUnits'> | null;
}

export interface JobStatus {
  jobId: string;
  name: string;
  state: JobState;
  counts: UnitCounts;
  costUsd: number;
  budgetUsd: number | null;
  concurrency: number;
  templateVersion: number;
  testResults: TestUnitResult[];
  /** Why the job is PAUSED, FAILED or back in READY (e.g. "budget reached"), if it says. */
  message: string | null;
  /** The rate-limit governor: how many units the API lets run, and what it refused lately. */
  throttle: ThrottleStatus;
  /** What the whole job will cost at the test units' price (null before they ran). */
  forecast: Forecast | null;
  /** The webhook's deliveries, when the spec has one. */
  webhook: WebhookStatus | null;
  /** The aggregate step, when the spec has one. */
  aggregate?: AggregateStatus | null;
  /** The breaker, when the job has one: whether it paused the job, and on what. */
  breaker?: BreakerStatus | null;
  /** Units that workers hold until they have the memory to start their agents (null: none). */
  memory?: MemoryHoldStatus | null;
}

export interface MemoryHoldStatus {
  units: number;
  workers: number;
  /** The least memory free on a holding worker, and what one more agent needs there (MB). */
  availableMb: number;
  needMb: number;
  /** For people: "held by worker memory: 3 units wait (1,200 MB free, 1,850 MB needed for one more agent)". */
  text: string;
}

/** What workers' holds (one per worker holding units of the job) come to. */
export function memoryHoldStatus(
  holds: readonly { units: number; availableMb: number; needMb: number }[],
): MemoryHoldStatus | null {
  if (holds.length === 0) return null;
  const units = holds.reduce((n, h) => n + h.units, 0);
  const tightest = holds.reduce((a, b) => (b.availableMb < a.availableMb ? b : a));
  const mb = (n: number) => `${n.toLocaleString('en-US')} MB`;
  const where = holds.length > 1 ? ` on ${holds.length} workers` : '';
  return {
    units,
    workers: holds.length,
    availableMb: tightest.availableMb,
    needMb: tightest.needMb,
    text:
      `held by worker memory: ${units} unit${units === 1 ? '' : 's'} wait${units === 1 ? 's' : ''}${where} ` +
      `(${mb(tightest.availableMb)} free, ${mb(tightest.needMb)} needed for one more agent)`,
  };
}

export interface AggregateStatus {
  state: 'pending' | 'running' | 'succeeded' | 'failed';
  /** Why it failed, after its retries. */
  error: string | null;
  /** Its result (the job's report; `agentic-batch report JOB` prints it), once it succeeded. */
  report: string | null;
}

/** What a webhook is told of: the job needs approval, the breaker paused it, it ended. */
export type WebhookEvent = 'ready' | 'paused' | 'ended';

export interface WebhookStatus {
  delivered: number;
  failed: number;
  /** The last failed delivery's error, after all its retries. */
  lastError: string | null;
}

export interface ThrottleStatus {
  /** Units allowed to run at once now (the concurrency, unless the API pushed back). */
  allowed: number;
  /** Attempts the API refused (rate limit, overload, usage limit) in the last minute. */
  rateLimitedLastMinute: number;
  /** A spent usage window paused the job until then (ISO 8601); it resumes by itself. */
  pausedUntil: string | null;
  /** For people: "throttled: running 5 of 16 (12 rate-limited requests in the last minute)", or null. */
  text: string | null;
}

export interface RejectRequest {
  feedback: string;
  /** A revised prompt template; without one the same template is tested again. */
  prompt?: string;
}

export interface ApproveRequest {
  /** Approve even though the forecast exceeds the budget (the job still pauses at the budget). */
  overBudget?: boolean;
}

export interface ResumeRequest {
  /** Raise the budget while resuming a job that paused on it. */
  budgetUsd?: number;
  /** The breaker paused it: go on, and never trip again in this job. */
  ignoreBreaker?: boolean;
}
