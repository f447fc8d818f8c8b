/**
 * The attempt-level guarantees, deterministically (no race, no timing): the real agent
 * activities in Temporal's mock activity context, against the real Postgres and the command
 * agent, on a job whose workflow no worker runs. A unit a group finished and then handed back
 * (as version 1 of the workflow does, numbering its attempts from 1 again) is not run again; a
 * stale attempt's late writes change nothing; a settled unit never goes back.
 */
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from '@jest/globals';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createActivities } from '../../activities/index.js';
import type { GroupedUnitOutcome } from '../../src/domain/index.js';
import { claimUnits } from '../../src/store/claims.js';
import { settleUnit } from '../../src/store/units.js';
import { storeWholeAttempts } from '../../src/store/wholeAttempts.js';
import { useHarness, writeSpec } from '../support/harness.js';

const h = useHarness(); // no worker: nothing runs the job but these tests
let jobId: string;
let runs: string;

beforeAll(async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'agentic-batch-fencing-'));
  runs = path.join(dir, 'runs.log');
  await writeFile(path.join(dir, 'units.jsonl'), ['a', 'b', 'c', 'd'].map((id) => JSON.stringify({ id })).join('\n'));
  const file = await writeSpec(dir, {
    name: 'fencing',
    source: { type: 'jsonl', path: 'units.jsonl', key: 'id' },
    prompt: 'Do {{id}}',
    testUnits: 0,
    // Every agent run leaves a line: what ran is counted, not inferred.
    agent: { type: 'command', command: ['sh', '-c', `echo "$1" >> "${runs}"; echo "did $1"`, 'agent', '{{id}}'] },
  });
  ({ jobId } = await h.cliJson<{ jobId: string }>(['create', file], { cwd: dir }));
});

const activities = () => createActivities({ db: h.db, rehearsalApiUrl: () => Promise.reject(new Error('none')) });
const ran = async (): Promise<string[]> => (await readFile(runs, 'utf8').catch(() => '')).split('\n').filter(Boolean);
const unitRow = async (unitId: number) =>
  (
    await h.query<{ status: string; result: string; fence: number }>(
      'SELECT status, result, fence FROM units WHERE job_id = $1 AND unit_id = $2',
      [jobId, unitId],
    )
  )[0]!;
const unit = (unitId: number, key: string, runKey: string) => ({ unitId, key, runKey });

describe('fencing and attempt history', () => {
  it('a unit a group finished and then handed back is not run again, whatever its attempt number', async () => {
    const runKey = (id: number) => `run-1/batch-v1-${id}`;
    const group: GroupedUnitOutcome[] = await new MockActivityEnvironment({ attempt: 1 }).run(activities().runAgents, {
      jobId,
      phase: 'batch' as const,
      templateVersion: 1,
      units: [unit(1, 'a', runKey(1)), unit(2, 'b', runKey(2))],
      unitTimeoutMs: 60_000,
    });
    expect(group.map((o) => o.status)).toEqual(['succeeded', 'succeeded']);
    expect(await ran()).toEqual(['a', 'b']);
    // A retried group's later attempt handed `a` back unstarted: version 1 queues it with
    // attempts 0, so it comes back as attempt 1 of a new activity, with the same run key.
    for (const attempt of [1, 2]) {
      const again = await new MockActivityEnvironment({ attempt }).run(activities().runAgent, {
        jobId,
        unitId: 1,
        key: 'a',
        phase: 'batch' as const,
        templateVersion: 1,
        runKey: runKey(1),
        priorAttempts: 0,
      });
      expect(again).toMatchObject({ status: 'succeeded', unitId: 1 });
    }
    expect(await ran()).toEqual(['a', 'b']);
    expect(await unitRow(1)).toMatchObject({ status: 'succeeded', result: 'did a' });
  });

  it("a stale attempt's late writes change nothing once another has claimed the unit", async () => {
    const runKey = 'run-1/batch-v1-3';
    const [stale] = [...(await claimUnits(h.db, jobId, [{ unitId: 3, runKey }])).values()];
    const [current] = [...(await claimUnits(h.db, jobId, [{ unitId: 3, runKey }])).values()];
    expect(current!.fence).toBe(stale!.fence! + 1);
    const whole = (fence: number, result: string) => ({
      attempt: {
        jobId,
        unitId: 3,
        attempt: 1,
        templateVersion: 1,
        phase: 'batch' as const,
        runKey,
        prompt: 'Do c',
        startedAt: Date.now(),
        fence,
      },
      events: [],
      outcome: {
        sessionId: null,
        result,
        isError: false,
        subtype: null,
        terminalReason: null,
        apiErrorStatus: null,
        numTurns: null,
        costUsd: 0.5,
        durationMs: 10,
        exitCode: 0,
        errorType: null,
        error: null,
        stderrTail: null,
        toolsUsed: [],
      },
      unit: { status: 'succeeded' as const, result, sessionId: null },
    });
    // The stale one ends first: its success is on record as superseded, the unit untouched.
    const [late] = await storeWholeAttempts(h.db, [whole(stale!.fence!, 'stale')]);
    expect(late!.runCostUsd).toBe(0);
    expect(await unitRow(3)).toMatchObject({ status: 'pending', result: null });
    const [ok] = await storeWholeAttempts(h.db, [whole(current!.fence!, 'current')]);
    expect(ok!.runCostUsd).toBe(1); // what this run spent: both attempts' costs
    expect(await unitRow(3)).toMatchObject({ status: 'succeeded', result: 'current' });
    const attempts = await h.query<{ error_type: string | null }>(
      'SELECT error_type FROM attempts WHERE job_id = $1 AND unit_id = 3 ORDER BY id',
      [jobId],
    );
    expect(attempts.map((a) => a.error_type)).toEqual(['Superseded', null]);
  });

  it('a settled unit never goes back: not to running, not to another outcome', async () => {
    const runKey = 'run-1/batch-v1-4';
    const [claim] = [...(await claimUnits(h.db, jobId, [{ unitId: 4, runKey }])).values()];
    expect(await settleUnit(h.db, jobId, 4, { runKey, status: 'failed', error: 'AgentFailed: gave up' })).toEqual({
      status: 'failed',
      runCostUsd: 0,
    });
    // The attempt the job gave up on comes back late, with a success and with a failure.
    const late = (status: 'succeeded' | 'running') => ({
      attempt: {
        jobId,
        unitId: 4,
        attempt: 1,
        templateVersion: 1,
        phase: 'batch' as const,
        runKey,
        prompt: 'Do d',
        startedAt: Date.now(),
        fence: claim!.fence!,
      },
      events: [],
      outcome: {
        sessionId: null,
        result: 'late',
        isError: false,
        subtype: null,
        terminalReason: null,
        apiErrorStatus: null,
        numTurns: null,
        costUsd: 0,
        durationMs: 10,
        exitCode: 0,
        errorType: status === 'running' ? 'AgentFailed' : null,
        error: null,
        stderrTail: null,
        toolsUsed: [],
      },
      unit: { status, result: 'late', sessionId: null },
    });
    await storeWholeAttempts(h.db, [late('succeeded')]);
    await storeWholeAttempts(h.db, [late('running')]);
    expect(await unitRow(4)).toMatchObject({ status: 'failed' });
    // A new attempt finds nothing to run, and says so instead of running it.
    const again = await new MockActivityEnvironment({ attempt: 1 })
      .run(activities().runAgent, { jobId, unitId: 4, key: 'd', phase: 'batch' as const, templateVersion: 1, runKey })
      .catch((err: Error) => err.message);
    expect(again).toBe('the unit was already failed');
    expect(await ran()).not.toContain('d');
    // The job's own settlement of a settled unit keeps it as it is.
    expect(await settleUnit(h.db, jobId, 4, { runKey, status: 'cancelled', error: 'cancelled' })).toMatchObject({
      status: 'failed',
    });
  });
});
