/**
 * The lifecycle driven from the CLI against a real worker: reject with a revised prompt then
 * approve, pause then resume, the budget pause, refusals of illegal transitions, and a failed
 * test unit under --yes.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { useHarness, makeDocs, waitForStatus, writeSpec, type StatusJson } from '../support/harness.js';

describe('job lifecycle', () => {
  const h = useHarness({ worker: true });

  async function create(dir: string, spec: Record<string, unknown>): Promise<string> {
    const file = await writeSpec(dir, {
      name: 'lifecycle',
      source: { type: 'files', glob: 'docs/*.md' },
      agent: { rehearse: true, retryDelaySeconds: 1 },
      ...spec,
    });
    const { jobId } = await h.cliJson<{ jobId: string }>(['create', file], { cwd: dir });
    return jobId;
  }

  it('re-tests with a revised prompt after reject, then runs the batch on approve', async () => {
    const dir = await makeDocs(3);
    const jobId = await create(dir, { prompt: 'Summarize {{relative_path}} briefly.', testUnits: 1 });
    const ready = await waitForStatus(h, jobId, (s) => s.status === 'READY');
    expect(ready.templateVersion).toBe(1);
    expect(ready.counts).toMatchObject({ succeeded: 1, pending: 2 });

    const refused = await h.cli(['pause', jobId]);
    expect(refused.exitCode).toBe(1);
    expect(refused.stderr).toContain('cannot pause a job that is READY; pause applies to a RUNNING job');

    const badPrompt = await h.cli(['reject', jobId, '--feedback', 'x', '--prompt', 'Use {{nope}}']);
    expect(badPrompt.exitCode).toBe(2);
    expect(badPrompt.stderr).toContain('unknown placeholder {{nope}}');

    const rejected = await h.cli([
      'reject',
      jobId,
      '--feedback',
      'too vague',
      '--prompt',
      'Summarize {{relative_path}} in five words.',
    ]);
    expect(rejected.exitCode).toBe(0);
    const retested = await waitForStatus(h, jobId, (s) => s.status === 'READY' && s.templateVersion === 2);
    expect(retested.counts).toMatchObject({ succeeded: 1, pending: 2, failed: 0 });

    const versions = await h.query<{ version: number; feedback: string | null }>(
      'SELECT version, feedback FROM prompt_versions WHERE job_id = $1 ORDER BY version',
      [jobId],
    );
    expect(versions).toEqual([
      { version: 1, feedback: null },
      { version: 2, feedback: 'too vague' },
    ]);

    expect((await h.cli(['approve', jobId])).exitCode).toBe(0);
    const done = await waitForStatus(h, jobId, (s) => s.status === 'COMPLETED');
    expect(done.counts).toMatchObject({ total: 3, succeeded: 3, failed: 0, pending: 0 });

    const attempts = await h.query<{ unit_id: number; phase: string; template_version: number; prompt: string }>(
      'SELECT unit_id, phase, template_version, prompt FROM attempts WHERE job_id = $1 ORDER BY unit_id, id',
      [jobId],
    );
    // The approved test run of unit 1 stands: it is not run again in the batch.
    expect(attempts.map((a) => [a.unit_id, a.phase, a.template_version])).toEqual([
      [1, 'test', 1],
      [1, 'test', 2],
      [2, 'batch', 2],
      [3, 'batch', 2],
    ]);
    expect(attempts[3]!.prompt).toBe('Summarize docs/doc03.md in five words.');

    const late = await h.cli(['approve', jobId]);
    expect(late.exitCode).toBe(1);
    expect(late.stderr).toMatch(/has already ended|cannot approve a job that is COMPLETED/);
  });

  it('tests every unit when there are fewer than testUnits, and a prompt may start with a dash', async () => {
    const dir = await makeDocs(2);
    const jobId = await create(dir, { prompt: '- Summarize {{relative_path}}.\n- Keep it short.', testUnits: 5 });
    const ready = await waitForStatus(h, jobId, (s) => s.status === 'READY');
    expect(ready.counts).toMatchObject({ total: 2, succeeded: 2, pending: 0 });
    expect((await h.cli(['approve', jobId])).exitCode).toBe(0);
    const done = await waitForStatus(h, jobId, (s) => s.status === 'COMPLETED');
    expect(done.counts).toMatchObject({ total: 2, succeeded: 2 });
    const [attempt] = await h.query<{ result: string }>(
      'SELECT result FROM attempts WHERE job_id = $1 AND unit_id = 1',
      [jobId],
    );
    expect(attempt!.result).toContain('- Summarize docs/doc01.md.');
  });

  it('starts no unit while paused and finishes after resume', async () => {
    const dir = await makeDocs(8);
    const jobId = await create(dir, {
      prompt: '[[fault:slow=1500]] Summarize {{relative_path}}.',
      testUnits: 0,
      concurrency: 2,
    });
    await waitForStatus(h, jobId, (s) => s.status === 'RUNNING' && s.counts.succeeded >= 1 && s.counts.running >= 1);
    const paused = await h.cliJson<{ status: string }>(['pause', jobId]);
    expect(paused.status).toBe('PAUSED');
    const [{ now: pausedAt }] = await h.query<{ now: Date }>('SELECT now()');

    const drained = await waitForStatus(h, jobId, (s) => s.counts.running === 0);
    expect(drained.status).toBe('PAUSED');
    await new Promise((r) => setTimeout(r, 3000));
    const still = await h.cliJson<{ status: string; counts: { pending: number; succeeded: number } }>([
      'status',
      jobId,
    ]);
    expect(still.status).toBe('PAUSED');
    expect(still.counts.pending).toBeGreaterThan(0);
    expect(still.counts.succeeded).toBe(drained.counts.succeeded);
    // Nothing started after the pause (the margin covers a start already on its way to the worker).
    const [{ n }] = await h.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM attempts WHERE job_id = $1 AND started_at > $2::timestamptz + interval '2 seconds'`,
      [jobId, pausedAt],
    );
    expect(n).toBe(0);

    expect((await h.cli(['resume', jobId])).exitCode).toBe(0);
    const done = await waitForStatus(h, jobId, (s) => s.status === 'COMPLETED');
    expect(done.counts).toMatchObject({ total: 8, succeeded: 8, pending: 0 });
  });

  it('pauses itself when the budget is spent and resumes with a higher one', async () => {
    const dir = await makeDocs(6);
    // Each scripted unit costs about $0.05, so the third one crosses $0.12.
    const jobId = await create(dir, {
      prompt: 'Summarize {{relative_path}}.',
      testUnits: 0,
      concurrency: 1,
      budgetUsd: 0.12,
    });
    const paused = await waitForStatus(h, jobId, (s) => s.status === 'PAUSED');
    expect(paused.message).toMatch(/^budget reached: spent \$0\.1\d+ of \$0\.12$/);
    expect(paused.costUsd).toBeGreaterThanOrEqual(0.12);
    expect(paused.counts).toMatchObject({ succeeded: 3, pending: 3, running: 0 });

    const refused = await h.cli(['resume', jobId]);
    expect(refused.exitCode).toBe(1);
    expect(refused.stderr).toContain('the budget is spent');

    expect((await h.cli(['resume', jobId, '--budget-usd', '10'])).exitCode).toBe(0);
    const done = await waitForStatus(h, jobId, (s) => s.status === 'COMPLETED');
    expect(done.counts.succeeded).toBe(6);
  });

  it('retry runs the failed units of an ended job again, in the same job, which ends anew', async () => {
    const dir = await makeDocs(3);
    // Every unit's first request is refused for good (401: not retried); the API is fine after.
    const jobId = await create(dir, { prompt: '[[fault:401x1]] Summarize {{relative_path}}.', testUnits: 0 });
    const failed = await waitForStatus(h, jobId, (s) => s.status === 'FAILED');
    expect(failed.counts).toMatchObject({ total: 3, failed: 3, succeeded: 0 });

    const none = await h.cli(['retry', jobId, '--status', 'cancelled']);
    expect(none.exitCode).toBe(1);
    expect(none.stderr).toContain(`${jobId} has no cancelled units to retry`);
    const bad = await h.cli(['retry', jobId, '--status', 'succeeded']);
    expect(bad.exitCode).toBe(2);

    expect(await h.cliJson(['retry', jobId])).toEqual({ jobId, retrying: 3 });
    const again = await h.cli(['retry', jobId]);
    expect(again.exitCode).toBe(1);
    // Refused while the retry runs; once it has ended (three quick units), nothing is left to retry.
    expect(again.stderr).toMatch(
      /is already running again|cannot retry a job that is RUNNING|has no failed units to retry/,
    );
    const done = await waitForStatus(h, jobId, (s) => s.status === 'COMPLETED');
    expect(done.counts).toMatchObject({ total: 3, succeeded: 3, failed: 0, cancelled: 0, pending: 0 });

    const results = (await h.cli(['results', jobId])).stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(results.map((r: { status: string; error: unknown }) => [r.status, r.error])).toEqual([
      ['succeeded', null],
      ['succeeded', null],
      ['succeeded', null],
    ]);
    const attempts = await h.query<{ unit_id: number; error_type: string | null }>(
      'SELECT unit_id, error_type FROM attempts WHERE job_id = $1 ORDER BY unit_id, id',
      [jobId],
    );
    expect(attempts.map((a) => a.error_type)).toEqual([
      'AgentAuthError',
      null,
      'AgentAuthError',
      null,
      'AgentAuthError',
      null,
    ]);
    const ended = await h.cli(['retry', jobId]);
    expect(ended.exitCode).toBe(1);
    expect(ended.stderr).toContain(`${jobId} has no failed units to retry`);
  });

  it('expires: no unit starts after expiresAfter, running ones get a grace and are stopped, the rest end expired', async () => {
    const dir = await makeDocs(0);
    // A finishes within the grace; B would take a minute and is stopped; C never starts.
    const records = [
      { id: 'a', fault: '[[fault:slow=4000]]' },
      { id: 'b', fault: '[[fault:slow=60000]]' },
      { id: 'c', fault: '' },
    ];
    await writeFile(path.join(dir, 'units.jsonl'), records.map((r) => JSON.stringify(r)).join('\n'));
    const jobId = await create(dir, {
      source: { type: 'jsonl', path: 'units.jsonl', key: 'id' },
      prompt: '{{fault}} Summarize {{id}}.',
      testUnits: 0,
      concurrency: 2,
      expiresAfter: '3s',
    });
    const ended = await waitForStatus(h, jobId, (s) => s.status === 'EXPIRED', 60_000);
    expect(ended.counts).toMatchObject({ total: 3, succeeded: 1, expired: 2, failed: 0, cancelled: 0, pending: 0 });
    expect(ended.message).toBe('expired before 2 of 3 units settled');
    const units = await h.query<{ key: string; status: string }>(
      'SELECT key, status FROM units WHERE job_id = $1 ORDER BY unit_id',
      [jobId],
    );
    expect(units).toEqual([
      { key: 'a', status: 'succeeded' },
      { key: 'b', status: 'expired' },
      { key: 'c', status: 'expired' },
    ]);
    // B's agent was stopped: its attempt ended, and no unit ever started after the expiry.
    const attempts = await h.query<{ key: string; finished_at: Date | null }>(
      'SELECT u.key, a.finished_at FROM attempts a JOIN units u USING (job_id, unit_id) WHERE a.job_id = $1',
      [jobId],
    );
    expect(attempts.map((a) => a.key).sort()).toEqual(['a', 'b']);
    expect(attempts.every((a) => a.finished_at !== null)).toBe(true);

    const human = await h.cli(['status', jobId]);
    expect(human.stdout).toMatch(/EXPIRED — expired before 2 of 3 units settled/);
    expect(human.stdout).toContain('2 expired');
    expect(await h.cliJson(['retry', jobId, '--status', 'expired'])).toEqual({ jobId, retrying: 2 });
    await waitForStatus(h, jobId, (s) => s.status === 'RUNNING' || s.status === 'EXPIRED');
    await h.cli(['cancel', jobId]);
  });

  it('forecasts the cost at the approval gate and asks again when it exceeds the budget', async () => {
    const dir = await makeDocs(12);
    // A scripted unit costs about $0.05: twelve of them about $0.60, over a $0.20 budget, which
    // the fifth unit spends while at most four run: the job pauses with units still pending.
    const jobId = await create(dir, { prompt: 'Summarize {{relative_path}}.', testUnits: 2, budgetUsd: 0.2 });
    const ready = (await waitForStatus(h, jobId, (s) => s.status === 'READY')) as StatusJson & {
      forecastUsd: number;
      forecast: { units: number; perUnitUsd: number; totalUsd: number };
    };
    const tests = await h.query<{ cost_usd: number }>('SELECT cost_usd FROM attempts WHERE job_id = $1', [jobId]);
    const perUnit = tests.reduce((sum, t) => sum + Number(t.cost_usd), 0) / tests.length;
    expect(ready.forecast.units).toBe(12);
    expect(ready.forecast.perUnitUsd).toBeCloseTo(perUnit, 6);
    expect(ready.forecastUsd).toBeCloseTo(perUnit * 12, 6);

    const human = await h.cli(['status', jobId]);
    expect(human.stdout).toMatch(/forecast\s+12 units × \$0\.0\d+ ≈ \$0\.\d\d \(budget \$0\.2000\)/);
    const refused = await h.cli(['approve', jobId]);
    expect(refused.exitCode).toBe(1);
    expect(refused.stderr).toMatch(/the forecast \$0\.\d\d exceeds the budget \$0\.2: approve with --over-budget/);
    expect((await h.cliJson<StatusJson>(['status', jobId])).status).toBe('READY');

    expect((await h.cli(['approve', jobId, '--over-budget'])).exitCode).toBe(0);
    const paused = await waitForStatus(h, jobId, (s) => s.status === 'PAUSED');
    expect(paused.message).toMatch(/^budget reached/);
    await h.cli(['cancel', jobId]);
  });

  it('run --yes leaves the job READY and exits 1 when a test unit fails; cancel then settles every unit', async () => {
    const dir = await makeDocs(4);
    const run = await h.cli(
      [
        'run',
        '--files',
        'docs/*.md',
        '--prompt',
        '[[fault:401]] Summarize {{relative_path}}.',
        '--rehearse',
        '--yes',
        '--json',
      ],
      { cwd: dir },
    );
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toContain('not approving: 1 test unit(s) failed (AgentAuthError: API error 401');
    const jobId = /created (job-\S+):/.exec(run.stderr)![1]!;
    expect(JSON.parse(run.stdout)).toMatchObject({ jobId, status: 'READY', counts: { failed: 1, pending: 3 } });
    const ready = await h.cliJson<{ status: string; counts: Record<string, number> }>(['status', jobId]);
    expect(ready).toMatchObject({ status: 'READY', counts: { failed: 1, pending: 3 } });

    const cancelled = await h.cliJson<{ status: string; counts: Record<string, number> }>(['cancel', jobId]);
    expect(cancelled).toMatchObject({
      status: 'CANCELLED',
      counts: { total: 4, failed: 1, cancelled: 3, pending: 0, running: 0 },
    });
    const rows = await h.query<{ status: string; n: number }>(
      'SELECT status, count(*)::int AS n FROM units WHERE job_id = $1 GROUP BY status ORDER BY status',
      [jobId],
    );
    expect(rows).toEqual([
      { status: 'cancelled', n: 3 },
      { status: 'failed', n: 1 },
    ]);
  });
});
