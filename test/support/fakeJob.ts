/**
 * The job workflow's activities mocked in memory, for in-process workflow tests: units as a
 * table, the store's operations on it, and each unit's agent answering as its test scripts it.
 * The real activities are tested on real parts (test/integration); these test the workflow.
 */
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type {
  GroupedUnitOutcome,
  JobSettings,
  JobState,
  UnitOutcome,
  UnitOutcomeStatus,
  UnitStatus,
} from '../../src/domain/index.js';

/** How a unit's agent answers an attempt (its nth: 1, 2, …). */
export type Answer =
  | { ok: true; costUsd?: number; durationMs?: number }
  | { throttle: 'rateLimited' | 'overloaded' | 'usageLimited'; retryInMs: number }
  | { fail: string; retryable: boolean }
  | { notStarted: true };

export interface FakeUnit {
  unitId: number;
  key: string;
  status: UnitStatus;
  /** Agent runs of it, all told. */
  runs: number;
}

export class FakeJob {
  readonly units: FakeUnit[];
  readonly states: JobState[] = [];
  templateVersion = 1;
  endedAs: string[] = [];
  /** The webhook deliveries the job asked for. */
  readonly webhooks: { event: string; payload: Record<string, unknown> }[] = [];

  constructor(
    total: number,
    private readonly answer: (unit: FakeUnit, run: number) => Answer = () => ({ ok: true }),
  ) {
    this.units = Array.from({ length: total }, (_, i) => ({
      unitId: i + 1,
      key: `k${i + 1}`,
      status: 'pending' as UnitStatus,
      runs: 0,
    }));
  }

  settings(over: Partial<JobSettings> = {}): JobSettings {
    return {
      jobId: 'job-fake',
      name: 'fake',
      totalUnits: this.units.length,
      concurrency: 4,
      testUnits: 0,
      budgetUsd: null,
      unit: { timeoutSeconds: 600, heartbeatTimeoutSeconds: 30, maxAttempts: 3, retryInitialIntervalSeconds: 1 },
      ...over,
    };
  }

  count(status: UnitStatus): number {
    return this.units.filter((u) => u.status === status).length;
  }

  private unit(unitId: number): FakeUnit {
    return this.units[unitId - 1]!;
  }

  /** The server's time (skipped ahead in a time-skipping test), as the activity was scheduled. */
  private now(): number {
    return Context.current().info.currentAttemptScheduledTimestampMs;
  }

  /** One attempt of a unit: what the agent activity would report, or throw. */
  private attempt(unitId: number, phase: 'test' | 'batch'): UnitOutcome | { notStarted: true } {
    const unit = this.unit(unitId);
    unit.runs += 1;
    const a = this.answer(unit, unit.runs);
    const ref = { unitId, key: unit.key, phase };
    if ('notStarted' in a) return a;
    if ('ok' in a) {
      unit.status = 'succeeded';
      return { ...ref, status: 'succeeded', costUsd: a.costUsd ?? 0, error: null, durationMs: a.durationMs ?? 100 };
    }
    if ('throttle' in a) {
      const retryAt = this.now() + a.retryInMs;
      const error = `Agent${a.throttle[0]!.toUpperCase()}${a.throttle.slice(1)}: refused`;
      return { ...ref, status: 'throttled', throttle: a.throttle, error, retryAt, startedAt: this.now(), attempts: 1 };
    }
    throw ApplicationFailure.create({ type: 'AgentFailed', message: a.fail, nonRetryable: !a.retryable });
  }

  activities() {
    return {
      pageUnits: async ({ afterUnitId, limit }: { afterUnitId: number; limit: number }) =>
        this.units
          .filter((u) => u.unitId > afterUnitId && u.status === 'pending')
          .slice(0, limit)
          .map(({ unitId, key }) => ({ unitId, key })),
      resetUnits: async ({ unitIds }: { unitIds: number[] }) => {
        for (const id of unitIds) this.unit(id).status = 'pending';
      },
      endUnfinishedUnits: async ({
        status,
        from,
        to,
      }: {
        status: 'cancelled' | 'expired';
        from: number;
        to: number;
      }) => {
        for (const u of this.units)
          if (u.unitId >= from && u.unitId <= to && (u.status === 'pending' || u.status === 'running'))
            u.status = status;
      },
      retryUnits: async ({ statuses }: { statuses: string[] }) => {
        for (const u of this.units) if (statuses.includes(u.status)) u.status = 'pending';
      },
      jobTotals: async () => ({ ...this.totals(), costUsd: 0, templateVersion: this.templateVersion }),
      reconcileUnits: async () => {
        let unsettled = 0;
        for (const u of this.units)
          if (u.status === 'pending' || u.status === 'running') {
            u.status = 'failed';
            unsettled += 1;
          }
        return { ...this.totals(), unsettled };
      },
      countUnits: async ({ status }: { status: UnitStatus }) => this.count(status),
      recordJobState: async ({ state }: { state: JobState }) => void this.states.push(state),
      saveTemplate: async () => (this.templateVersion += 1),
      finishUnit: async ({ unitId, status, error }: { unitId: number; status: UnitOutcomeStatus; error: string }) => {
        const unit = this.unit(unitId);
        if (unit.status !== 'succeeded') unit.status = status;
        this.endedAs.push(`${unit.key}:${unit.status}:${error}`);
        return { status: unit.status as UnitOutcomeStatus, costUsd: 0 };
      },
      runAgent: async (input: { unitId: number; phase: 'test' | 'batch' }): Promise<UnitOutcome> => {
        const outcome = this.attempt(input.unitId, input.phase);
        if ('notStarted' in outcome) throw new Error('a single unit always starts');
        return outcome;
      },
      runAgents: async (input: {
        phase: 'test' | 'batch';
        units: { unitId: number; key: string }[];
      }): Promise<GroupedUnitOutcome[]> =>
        input.units.map((u) => {
          try {
            const outcome = this.attempt(u.unitId, input.phase);
            return 'notStarted' in outcome ? { ...u, phase: input.phase, status: 'notStarted' as const } : outcome;
          } catch (err) {
            const failure = err as ApplicationFailure;
            return {
              ...u,
              phase: input.phase,
              status: 'attemptFailed' as const,
              error: `AgentFailed: ${failure.message}`,
              retryable: !failure.nonRetryable,
              nextRetryDelayMs: null,
            };
          }
        }),
      runAggregate: async () => ({ report: 'all of it', costUsd: 0 }),
      deliverWebhook: async ({ event, payload }: { event: string; payload: Record<string, unknown> }) => {
        this.webhooks.push({ event, payload });
        return { status: 200 };
      },
    };
  }

  private totals() {
    return {
      succeeded: this.count('succeeded'),
      failed: this.count('failed'),
      cancelled: this.count('cancelled'),
      expired: this.count('expired'),
    };
  }
}
