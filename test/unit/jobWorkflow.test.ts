/**
 * The job workflow (version 2) in-process: the built workflow bundle on Temporal's time-skipping
 * test server, its activities mocked (test/support/fakeJob.ts), so the lifecycle's edges — an
 * hour's pause, an expiry, 26 refusals — take milliseconds. The real parts are the integration
 * tests' to exercise.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import type { JobSettings, JobStatus } from '../../src/domain/index.js';
import type { CarriedState, JobWorkflowInput } from '../../workflows/job/carried.js';
import { approveUpdate, pauseUpdate, rejectUpdate, resumeUpdate, statusQuery } from '../../workflows/messages.js';
import { FakeJob, type Answer, type FakeUnit } from '../support/fakeJob.js';
import { ROOT } from '../support/harness.js';
import { timeSkippingEnvironment } from '../support/timeSkipping.js';

/** Built by `npm test` before the tests run. */
const WORKFLOW_BUNDLE_PATH = path.join(ROOT, 'dist', 'workflow-bundle.js');

let env: TestWorkflowEnvironment;

beforeAll(async () => {
  env = await timeSkippingEnvironment();
}, 60_000);
afterAll(() => env?.teardown());

type Handle = WorkflowHandle<(input: JobWorkflowInput) => Promise<JobStatus>>;

/** Runs `test` against a job workflow over the fake job, with a worker of the built bundle. */
async function withJob<T>(
  job: FakeJob,
  settings: Partial<JobSettings>,
  test: (handle: Handle) => Promise<T>,
  carried?: Partial<CarriedState>,
): Promise<T> {
  const taskQueue = `wf-${randomBytes(4).toString('hex')}`;
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: { codePath: WORKFLOW_BUNDLE_PATH },
    activities: job.activities(),
  });
  return worker.runUntil(async () => {
    const handle: Handle = await env.client.workflow.start('jobWorkflow', {
      taskQueue,
      workflowId: `job-${taskQueue}`,
      args: [{ settings: job.settings(settings), ...(carried ? { carried: carried as CarriedState } : {}) }],
    });
    return test(handle);
  });
}

const until = async (handle: Handle, predicate: (s: JobStatus) => boolean): Promise<JobStatus> => {
  for (let i = 0; i < 400; i++) {
    const status = await handle.query(statusQuery);
    if (predicate(status)) return status;
    await env.sleep(50);
  }
  throw new Error(`timed out: ${JSON.stringify(await handle.query(statusQuery))}`);
};

/** Why the workflow refused an update (its validator's words). */
const refusal = (update: Promise<unknown>): Promise<string> =>
  update.then(
    () => 'accepted',
    (err: { cause?: { message?: string }; message: string }) => err.cause?.message ?? err.message,
  );

const script =
  (answers: Record<string, Answer[]>, otherwise: Answer = { ok: true }) =>
  (unit: FakeUnit, run: number): Answer =>
    answers[unit.key]?.[run - 1] ?? answers[unit.key]?.at(-1) ?? otherwise;

describe('the job workflow, in-process with mocked activities', () => {
  it('tests, refuses an approval over the budget, is rejected with feedback, tested again and approved', async () => {
    const job = new FakeJob(10, () => ({ ok: true, costUsd: 1 }));
    const final = await withJob(job, { testUnits: 1, budgetUsd: 5, concurrency: 1 }, async (h) => {
      expect((await until(h, (s) => s.state === 'READY')).forecast).toMatchObject({ totalUsd: 10 });
      expect(await refusal(h.executeUpdate(approveUpdate, { args: [{}] }))).toMatch(
        /^the forecast \$10\.00 exceeds the budget \$5: approve with --over-budget/,
      );
      expect(await refusal(h.executeUpdate(rejectUpdate, { args: [{ feedback: ' ' }] }))).toMatch(
        /^reject needs feedback/,
      );
      await h.executeUpdate(rejectUpdate, { args: [{ feedback: 'shorter', prompt: 'v2 {{x}}' }] });
      expect(await until(h, (s) => s.state === 'READY')).toMatchObject({ templateVersion: 2 });
      await h.executeUpdate(approveUpdate, { args: [{ overBudget: true }] });
      // The budget pauses it; a higher one lets it finish.
      const paused = await until(h, (s) => s.state === 'PAUSED');
      expect(paused.message).toMatch(/^budget reached: spent \$5\.0000 of \$5$/);
      expect(await refusal(h.executeUpdate(resumeUpdate, { args: [{}] }))).toMatch(/^the budget is spent/);
      await h.executeUpdate(resumeUpdate, { args: [{ budgetUsd: 100 }] });
      return h.result();
    });
    expect(final).toMatchObject({ state: 'COMPLETED', counts: { succeeded: 10, failed: 0, pending: 0 } });
    // The test unit ran for both prompts, every other unit once.
    expect(job.units.map((u) => u.runs)).toEqual([2, 1, 1, 1, 1, 1, 1, 1, 1, 1]);
  });

  it('pauses for a spent usage window, an hour, and resumes by itself at its reset', async () => {
    const job = new FakeJob(4, script({ k2: [{ throttle: 'usageLimited', retryInMs: 3_600_000 }, { ok: true }] }));
    const final = await withJob(job, { concurrency: 1 }, async (h) => {
      const paused = await until(h, (s) => s.state === 'PAUSED');
      expect(paused.message).toMatch(/; resumes by itself at \d{4}-/);
      expect(paused.throttle.pausedUntil).not.toBeNull();
      return h.result();
    });
    expect(final).toMatchObject({ state: 'COMPLETED', counts: { succeeded: 4 } });
    expect(job.states).toEqual(['CREATED', 'RUNNING', 'PAUSED', 'RUNNING', 'COMPLETED']);
  });

  it('fails a unit the API refused 26 times, and runs the rest', async () => {
    const job = new FakeJob(3, script({ k2: [{ throttle: 'rateLimited', retryInMs: 1000 }] }));
    const final = await withJob(job, {}, (h) => h.result());
    expect(final).toMatchObject({ state: 'FAILED', counts: { succeeded: 2, failed: 1 } });
    expect(job.units[1]!.runs).toBe(26);
    expect(job.endedAs).toEqual(['k2:failed:AgentRateLimited: refused (refused 26 times)']);
  });

  it('runs short units in groups; a unit a group hands back runs again alone, once', async () => {
    const job = new FakeJob(60, script({ k10: [{ notStarted: true }, { ok: true }] }, { ok: true, durationMs: 50 }));
    const final = await withJob(job, { concurrency: 2 }, (h) => h.result());
    expect(final).toMatchObject({ state: 'COMPLETED', counts: { succeeded: 60 } });
    expect(job.units.find((u) => u.key === 'k10')!.runs).toBe(2);
    expect(job.units.filter((u) => u.runs !== 1).map((u) => u.key)).toEqual(['k10']);
  });

  it('expires: a unit waiting two hours to run again ends expired at the one-hour expiry', async () => {
    const job = new FakeJob(2, script({ k1: [{ throttle: 'overloaded', retryInMs: 7_200_000 }] }));
    const expiresAt = (await env.currentTimeMs()) + 3_600_000;
    const final = await withJob(job, { concurrency: 2, expiresAt }, (h) => h.result());
    expect(final).toMatchObject({ state: 'EXPIRED', counts: { expired: 1, succeeded: 1 } });
    expect(final.message).toBe('expired before 1 of 2 units settled');
  });

  it('pauses and resumes on request; a request the state does not allow says why', async () => {
    const job = new FakeJob(3, script({ k1: [{ throttle: 'overloaded', retryInMs: 60_000 }, { ok: true }] }));
    const final = await withJob(job, { concurrency: 1 }, async (h) => {
      await until(h, (s) => s.state === 'RUNNING');
      await h.executeUpdate(pauseUpdate);
      expect(await refusal(h.executeUpdate(pauseUpdate))).toMatch(/PAUSED/);
      expect(await refusal(h.executeUpdate(approveUpdate, { args: [{}] }))).toMatch(/PAUSED/);
      await h.executeUpdate(resumeUpdate, { args: [{}] });
      return h.result();
    });
    expect(final).toMatchObject({ state: 'COMPLETED', counts: { succeeded: 3 } });
  });

  it('a unit that fails for good fails the job, named in its message', async () => {
    const job = new FakeJob(3, script({ k3: [{ fail: 'exit 3', retryable: false }] }));
    const final = await withJob(job, {}, (h) => h.result());
    expect(final).toMatchObject({ state: 'FAILED', counts: { succeeded: 2, failed: 1 } });
    expect(final.message).toBe('1 of 3 units failed');
  });

  it('the breaker pauses a job failing one way, a window at a time, and resume --ignore-breaker runs the rest', async () => {
    // The first 5 succeed, every later one fails the same way.
    const job = new FakeJob(60, (u) =>
      u.unitId <= 5 ? { ok: true } : { fail: 'sh exited with code 3: no such table', retryable: false },
    );
    const breaker = { window: 10, share: 0.8 };
    const settings = { concurrency: 2, breaker, webhook: {}, unit: { ...job.settings().unit, groupShortUnits: false } };
    const final = await withJob(job, settings, async (h) => {
      const paused = await until(h, (s) => s.state === 'PAUSED');
      expect(paused.message).toBe(
        '8 of the last 10 units failed with AgentFailed: sh exited with code 3: no such table; ' +
          'fix the spec and resume, or resume --ignore-breaker',
      );
      expect(paused.breaker).toMatchObject({
        ...breaker,
        ignored: false,
        tripped: { signature: 'AgentFailed (exit 3)', failed: 8 },
      });
      // Nothing started past the window but what was already running (concurrency 2).
      const settledAtTrip = 5 + 8;
      expect(job.units.filter((u) => u.runs > 0).length).toBeLessThanOrEqual(settledAtTrip + 2);
      const atTrip = job.units.filter((u) => u.runs > 0).length;
      // Resumed plainly: a fresh window, which trips again after 8 more failures (10 settled).
      await h.executeUpdate(resumeUpdate, { args: [{}] });
      const again = await until(h, (s) => s.state === 'PAUSED' && s.counts.failed > paused.counts.failed);
      expect(again.breaker?.tripped).toMatchObject({ failed: 10, window: 10 });
      expect(job.units.filter((u) => u.runs > 0).length).toBeLessThanOrEqual(atTrip + 10 + 2);
      await h.executeUpdate(resumeUpdate, { args: [{ ignoreBreaker: true }] });
      return h.result();
    });
    expect(final).toMatchObject({ state: 'FAILED', counts: { succeeded: 5, failed: 55 } });
    expect(final.breaker).toMatchObject({ ignored: true, tripped: null });
    expect(job.states).toEqual(['CREATED', 'RUNNING', 'PAUSED', 'RUNNING', 'PAUSED', 'RUNNING', 'FAILED']);
    const paused = job.webhooks.filter((w) => w.event === 'paused');
    expect(paused).toHaveLength(2);
    expect(paused[0]!.payload).toMatchObject({ status: 'PAUSED', breaker: { signature: 'AgentFailed (exit 3)' } });
  });

  it('a job created before the breaker (no breaker setting) runs its failing units to the end', async () => {
    const job = new FakeJob(30, (u) => (u.unitId <= 2 ? { ok: true } : { fail: 'boom', retryable: false }));
    const final = await withJob(job, { concurrency: 2 }, (h) => h.result());
    expect(final).toMatchObject({ state: 'FAILED', counts: { succeeded: 2, failed: 28 }, breaker: null });
  });

  it('cancelled, its pending units end cancelled', async () => {
    const job = new FakeJob(5, script({ k5: [{ throttle: 'usageLimited', retryInMs: 3_600_000 }] }));
    await withJob(job, { concurrency: 1 }, async (h) => {
      await until(h, (s) => s.state === 'PAUSED');
      await h.cancel();
      await expect(h.result()).rejects.toThrow();
      expect(await h.query(statusQuery)).toMatchObject({ state: 'CANCELLED', counts: { cancelled: 1, succeeded: 4 } });
    });
  });

  it('goes on from the state a version 1 run carried (queue entries that counted attempts)', async () => {
    const job = new FakeJob(4);
    job.units[0]!.status = 'succeeded';
    const v1Queue = [
      {
        unitId: 2,
        key: 'k2',
        phase: 'batch',
        runKey: 'old/batch-v1-2',
        attempts: 2,
        counted: 1,
        throttles: 3,
        notBefore: 0,
      },
    ];
    const final = await withJob(job, {}, (h) => h.result(), {
      state: 'RUNNING',
      succeeded: 1,
      cursor: 2,
      costUsd: 0.5,
      queue: v1Queue as unknown as CarriedState['queue'],
    });
    expect(final).toMatchObject({ state: 'COMPLETED', costUsd: 0.5, counts: { succeeded: 4 } });
    expect(job.units.map((u) => u.runs)).toEqual([0, 1, 1, 1]);
  });

  it('ends FAILED when Postgres holds a unit the job never settled, with Postgres’s counts', async () => {
    const job = new FakeJob(3);
    const final = await withJob(job, {}, (h) => h.result(), { state: 'RUNNING', cursor: 3, succeeded: 2, failed: 1 });
    // The job thought all three were settled; Postgres had none: they fail as never settled.
    expect(final).toMatchObject({ state: 'FAILED', counts: { succeeded: 0, failed: 3 } });
    expect(final.message).toBe('3 of 3 units failed (3 of them never settled)');
  });
});
