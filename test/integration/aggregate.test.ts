/**
 * The aggregate step on real parts: after every unit settled, one more agent run over a JSONL
 * file of the succeeded units' results; its result is the job's report (`report`, `status
 * --json`). Run by the command agent (reading the file) and by the real claude against the
 * scripted API; a step that fails ends the job FAILED with the reason, its units' results standing.
 */
import { readdirSync, statSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from '@jest/globals';
import { parseJsonl, useHarness, waitForStatus, type StatusJson } from '../support/harness.js';

const h = useHarness({ worker: true });
let dir: string;

type WithReport = StatusJson & {
  aggregate: { state: string; error: string | null };
  report: string | null;
};

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'agentic-batch-aggregate-'));
  await writeFile(path.join(dir, 'tasks.jsonl'), ['a', 'b', 'c'].map((id) => JSON.stringify({ id })).join('\n'));
});

const spec = (name: string, aggregate: string, more = '') => `name: ${name}
source: { type: jsonl, path: tasks.jsonl, key: id }
prompt: "Do {{id}}"
agent: { type: command, command: [sh, -c, 'if [ "$1" = c ]; then exit 1; fi; echo "done $1"', sh, "{{id}}"], retryDelaySeconds: 1 }
retries: 1
testUnits: 0
${more}aggregate:
${aggregate}
`;

describe('aggregate', () => {
  it('runs once every unit settled, over the results file, and its result is the report', async () => {
    await writeFile(
      path.join(dir, 'report.yaml'),
      spec(
        'report',
        `  prompt: unused
  agent: { type: command, command: [sh, -c, 'while [ ! -e ${path.join(dir, 'go')} ]; do sleep 0.1; done; echo "{{succeeded}} of {{total}} succeeded, {{failed}} failed"; cat "{{results_file}}"'] }`,
      ),
    );
    const { jobId } = await h.cliJson<{ jobId: string }>(['create', 'report.yaml'], { cwd: dir });
    // While it runs (it waits for the file go), status says so.
    const aggregating = (await waitForStatus(
      h,
      jobId,
      (s) => (s as WithReport).aggregate?.state === 'running',
      60_000,
    )) as WithReport;
    expect(aggregating.message).toBe('aggregating the results of 2 units');
    expect((await h.cli(['status', jobId])).stdout).toContain('aggregating the results of 2 units');
    await writeFile(path.join(dir, 'go'), ''); // the step may finish now
    const done = (await waitForStatus(h, jobId, (s) => s.status === 'FAILED', 60_000)) as WithReport;

    // A unit failed, so the job did; the step ran anyway, and the report stands.
    expect(done.message).toBe('1 of 3 units failed');
    expect(done.aggregate).toEqual({ state: 'succeeded', error: null });
    const [summary, ...lines] = done.report!.trim().split('\n');
    expect(summary).toBe('2 of 3 succeeded, 1 failed');
    expect(parseJsonl(lines.join('\n'))).toEqual([
      { unitId: 1, key: 'a', result: 'done a', output: null },
      { unitId: 2, key: 'b', result: 'done b', output: null },
    ]);
    const report = await h.cli(['report', jobId]);
    expect(report).toMatchObject({ exitCode: 0, stdout: done.report!.trimEnd() });
    expect(JSON.parse((await h.cli(['report', jobId, '--json'])).stdout)).toEqual({ jobId, report: done.report });
  });

  it('by the real claude, the job COMPLETED only once it succeeded', async () => {
    await writeFile(path.join(dir, 'ok.jsonl'), ['a', 'b'].map((id) => JSON.stringify({ id })).join('\n'));
    await writeFile(
      path.join(dir, 'claude.yaml'),
      spec(
        'claude-report',
        `  prompt: "Summarize the {{succeeded}} results in {{results_file}}"
  agent: { rehearse: true }`,
      ).replace('tasks.jsonl', 'ok.jsonl'),
    );
    const status = (await h.runJob(['claude.yaml'], { cwd: dir })) as WithReport;
    expect(status).toMatchObject({ status: 'COMPLETED', aggregate: { state: 'succeeded', error: null } });
    // The results file was in the worker's private temp directory (0700), and is gone.
    const root = /results in (\/\S*agentic-batch-\w{6})\/aggr/.exec(status.report ?? '')?.[1];
    expect(root).toBeDefined();
    expect(statSync(root!).mode & 0o777).toBe(0o700);
    expect(readdirSync(root!).filter((f) => f.startsWith('aggregate-'))).toEqual([]);
    // The step's cost is the job's too.
    const unitsCost = (
      await h.query<{ c: number }>('SELECT sum(cost_usd)::float8 AS c FROM units WHERE job_id = $1', [status.jobId])
    )[0]!.c;
    expect(status.costUsd).toBeGreaterThan(unitsCost);
  });

  it('a step that keeps failing ends the job FAILED with the reason; the units stand', async () => {
    await writeFile(
      path.join(dir, 'broken.yaml'),
      spec(
        'broken-report',
        `  prompt: "Summarize {{results_file}} [[fault:400]]"\n  agent: { rehearse: true }`,
      ).replace('tasks.jsonl', 'ok.jsonl'),
    );
    const status = (await h.runJob(['broken.yaml'], { cwd: dir })) as WithReport;
    expect(status).toMatchObject({ status: 'FAILED', counts: { succeeded: 2 }, aggregate: { state: 'failed' } });
    expect(status.message).toMatch(/^the aggregate step failed: AgentInvalidRequest: /);
    expect(status.report).toBeNull();
    const report = await h.cli(['report', status.jobId]);
    expect(report.exitCode).toBe(1);
    expect(report.stderr).toMatch(/has no report yet: the aggregate step failed \(AgentInvalidRequest/);
  });
});
