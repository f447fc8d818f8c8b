/**
 * Durability: a worker killed with SIGKILL mid-job, another started; every unit ends exactly
 * once. And a job long enough to continue-as-new several times (the test server suggests it
 * after a few hundred events) loses and repeats no unit.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { execa } from 'execa';
import {
  EMITTER,
  useHarness,
  makeDocs,
  parseJsonl,
  waitFor,
  waitForStatus,
  writeSpec,
  type StatusJson,
} from '../support/harness.js';

const agentsWith = async (token: string) => (await execa('pgrep', ['-f', token], { reject: false })).stdout.trim();

describe('durability', () => {
  const h = useHarness();

  it('finishes every unit exactly once after the worker is killed mid-job', async () => {
    const first = await h.startWorker();
    const dir = await makeDocs(12);
    const token = `crash-${randomBytes(4).toString('hex')}`;
    const file = await writeSpec(dir, {
      name: 'crash',
      source: { type: 'files', glob: 'docs/*.md' },
      prompt: `[[fault:slow=4000]] ${token} Summarize {{relative_path}}.`,
      testUnits: 0,
      concurrency: 4,
      // One activity per unit, as this test counts them (groups have their own test below).
      groupShortUnits: false,
      agent: { rehearse: true, heartbeatTimeoutSeconds: 5, retryDelaySeconds: 1 },
    });
    const { jobId } = await h.cliJson<{ jobId: string }>(['create', file], { cwd: dir });
    await waitForStatus(h, jobId, (s) => s.counts.succeeded >= 2 && s.counts.running >= 2);
    expect(await agentsWith(token)).not.toBe('');
    await first.kill();
    // The agents die with their worker (they would otherwise run on, and be paid for, twice).
    await waitFor(async () => (await agentsWith(token)) === '', 2000, 'the dead worker’s agents to die');

    const second = await h.startWorker();
    const done = await waitForStatus(h, jobId, (s) => s.status === 'COMPLETED', 180_000);
    expect(done.counts).toMatchObject({ total: 12, succeeded: 12, failed: 0, cancelled: 0 });

    const results = parseJsonl<{ unitId: number; status: string }>((await h.cli(['results', jobId])).stdout);
    expect(results.map((r) => r.unitId)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    expect(results.every((r) => r.status === 'succeeded')).toBe(true);
    // Exactly one successful attempt per unit; the ones cut off by the kill (their attempt's row
    // was not written yet: that happens 5 s in) succeeded on a later attempt.
    const perUnit = await h.query<{ unit_id: number; ok: number; last: number }>(
      `SELECT unit_id, count(*) FILTER (WHERE finished_at IS NOT NULL AND error_type IS NULL)::int AS ok,
              max(attempt)::int AS last
       FROM attempts WHERE job_id = $1 GROUP BY unit_id ORDER BY unit_id`,
      [jobId],
    );
    expect(perUnit.map((u) => u.ok)).toEqual(Array(12).fill(1));
    expect(perUnit.filter((u) => u.last >= 2).length).toBeGreaterThanOrEqual(1);
    // The job scheduled each unit's agent exactly once (retries are attempts of that one activity).
    const client = await h.client();
    const history = await client.workflow.getHandle(jobId).fetchHistory();
    const scheduled = (history.events ?? [])
      .map((e) => e.activityTaskScheduledEventAttributes)
      .filter((a) => a?.activityType?.name === 'runAgent')
      .map((a) => a!.activityId);
    expect(scheduled.sort()).toEqual(Array.from({ length: 12 }, (_, i) => `batch-v1-${i + 1}`).sort());
    await second.stop(); // the next test counts on its own worker alone
  });

  it('reruns a group cut off by a killed worker without running its finished units again', async () => {
    const first = await h.startWorker();
    const dir = await makeDocs(40);
    const file = await writeSpec(dir, {
      name: 'group-crash',
      source: { type: 'files', glob: 'docs/*.md' },
      prompt: 'Touch {{relative_path}}',
      testUnits: 0,
      concurrency: 2,
      agent: {
        type: 'command',
        command: ['sh', '-c', 'sleep 0.5; echo "$1"', 'agent', '{{relative_path}}'],
        heartbeatTimeoutSeconds: 5,
        retryDelaySeconds: 1,
      },
    });
    const { jobId } = await h.cliJson<{ jobId: string }>(['create', file], { cwd: dir });
    // Kill it mid-group: some units of a group recorded as succeeded, the group not done.
    const finishedInGroups = async () =>
      (
        await h.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM units WHERE job_id = $1 AND unit_id > 2 AND status = 'succeeded'`,
          [jobId],
        )
      )[0]!.n;
    await waitFor(async () => (await finishedInGroups()) >= 2, 60_000, 'units of the first groups to finish');
    await first.kill(); // (that its agents die with it is the test above)
    const second = await h.startWorker();
    const done = await waitForStatus(h, jobId, (s) => s.status === 'COMPLETED', 180_000);
    expect(done.counts).toMatchObject({ total: 40, succeeded: 40, failed: 0, cancelled: 0 });
    // No unit succeeded twice: a group's retry skipped the units it had finished.
    const perUnit = await h.query<{ ok: number }>(
      `SELECT count(*) FILTER (WHERE finished_at IS NOT NULL AND error_type IS NULL)::int AS ok
       FROM attempts WHERE job_id = $1 GROUP BY unit_id`,
      [jobId],
    );
    expect(perUnit.map((u) => u.ok)).toEqual(Array(40).fill(1));
    // A group was cut off and ran again (its retry is attempt 2 of the same activity).
    const client = await h.client();
    const history = await client.workflow.getHandle(jobId).fetchHistory();
    const retried = (history.events ?? []).filter((e) => (e.activityTaskStartedEventAttributes?.attempt ?? 1) >= 2);
    expect(retried.length).toBeGreaterThanOrEqual(1);
    await second.stop();
  });

  it('runs a cut group again with no retries left: a lost worker spends none of a unit’s attempts', async () => {
    const first = await h.startWorker();
    const dir = await makeDocs(40);
    const file = await writeSpec(dir, {
      name: 'group-no-retry',
      source: { type: 'files', glob: 'docs/*.md' },
      prompt: 'Touch {{relative_path}}',
      testUnits: 0,
      concurrency: 2,
      retries: 0,
      agent: {
        type: 'command',
        command: ['sh', '-c', 'sleep 0.5; echo "$1"', 'agent', '{{relative_path}}'],
        heartbeatTimeoutSeconds: 5,
      },
    });
    const { jobId } = await h.cliJson<{ jobId: string }>(['create', file], { cwd: dir });
    const groupUnitsDone = async () =>
      (
        await h.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM units WHERE job_id = $1 AND unit_id > 2 AND status = 'succeeded'`,
          [jobId],
        )
      )[0]!.n;
    await waitFor(async () => (await groupUnitsDone()) >= 2, 60_000, 'units of the first groups to finish');
    await first.kill();
    const second = await h.startWorker();
    const done = await waitForStatus(h, jobId, (s) => ['COMPLETED', 'FAILED'].includes(s.status), 180_000);
    // Attempts are counted in Postgres: the cut ones left no failure there, so none was spent.
    expect(done.counts).toMatchObject({ total: 40, succeeded: 40, failed: 0, cancelled: 0, pending: 0 });
    const perUnit = await h.query<{ ok: number }>(
      `SELECT count(*) FILTER (WHERE finished_at IS NOT NULL AND error_type IS NULL)::int AS ok
       FROM attempts WHERE job_id = $1 GROUP BY unit_id`,
      [jobId],
    );
    expect(perUnit.map((u) => u.ok)).toEqual(Array(40).fill(1));
    await second.stop();
  });

  it('continues-as-new on a long job without losing or repeating a unit', async () => {
    await h.startWorker();
    const dir = await makeDocs(90);
    const run = await h.cli(
      [
        'run',
        '--files',
        'docs/*.md',
        '--prompt',
        'Touch {{relative_path}}',
        '--claude-bin',
        EMITTER,
        '--concurrency',
        '10',
        // One activity per unit: groups of short units would not fill the history this test needs.
        '--no-group-short-units',
        '--yes',
        '--json',
      ],
      { cwd: dir },
    );
    expect(run.exitCode).toBe(0);
    const status = JSON.parse(run.stdout) as StatusJson;
    expect(status.counts).toMatchObject({ total: 90, succeeded: 90, failed: 0, pending: 0 });
    // Counters crossed every continue-as-new: the emitter reports $0.001 a unit.
    expect(status.costUsd).toBeCloseTo(0.09, 9);
    const [job] = await h.query<{ state: string; cost_usd: number }>('SELECT state, cost_usd FROM jobs WHERE id = $1', [
      status.jobId,
    ]);
    expect(job).toEqual({ state: 'COMPLETED', cost_usd: expect.closeTo(0.09, 9) });

    const client = await h.client();
    let runs = 0;
    for await (const _ of client.workflow.list({ query: `WorkflowId = "${status.jobId}"` })) runs += 1;
    expect(runs).toBeGreaterThanOrEqual(2);

    const attempts = await h.query<{ unit_id: number; n: number }>(
      'SELECT unit_id, count(*)::int AS n FROM attempts WHERE job_id = $1 GROUP BY unit_id ORDER BY unit_id',
      [status.jobId],
    );
    expect(attempts).toHaveLength(90);
    expect(attempts.every((a) => a.n === 1)).toBe(true);
    const results = parseJsonl<{ status: string }>((await h.cli(['results', status.jobId])).stdout);
    expect(results.filter((r) => r.status === 'succeeded')).toHaveLength(90);
  });
});
