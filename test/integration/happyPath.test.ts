/**
 * The main path, all real: Temporal dev server, Postgres, a worker process, and the real
 * `claude` binary against the scripted Messages API (`--rehearse`).
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from '@jest/globals';
import { useHarness, makeDocs, parseJsonl, type StatusJson } from '../support/harness.js';

describe('run over files with the real claude', () => {
  const h = useHarness({ worker: true });
  let dir: string;
  let status: StatusJson;
  let exitCode: number;

  beforeAll(async () => {
    dir = await makeDocs(5);
    const run = await h.cli(
      [
        'run',
        '--files',
        'docs/**/*.md',
        '--prompt',
        'Write a one-line summary of {{relative_path}} to the file out/{{file_name}}.txt',
        '--rehearse',
        '--yes',
        '--json',
        '--concurrency',
        '3',
        '--allowed-tools',
        'Write,Read',
        '--permission-mode',
        'acceptEdits',
      ],
      { cwd: dir },
    );
    exitCode = run.exitCode;
    if (run.exitCode !== 0) throw new Error(`run failed (${run.exitCode}): ${run.stderr}`);
    status = JSON.parse(run.stdout) as StatusJson;
  });

  it('tests one unit, approves it, runs the rest and completes', () => {
    expect(exitCode).toBe(0);
    expect(status).toMatchObject({
      status: 'COMPLETED',
      counts: { total: 5, succeeded: 5, failed: 0, cancelled: 0, pending: 0, running: 0 },
    });
    expect(status.jobId).toMatch(/^job-docs-md-[0-9a-f]{6}$/);
    expect(status.costUsd).toBeGreaterThan(0);
  });

  it('let the agent write its output files', async () => {
    for (let i = 1; i <= 5; i++) {
      const name = `doc0${i}.md`;
      const written = await readFile(path.join(dir, 'out', `${name}.txt`), 'utf8');
      expect(written).toContain(`Write a one-line summary of docs/${name}`);
    }
  });

  it('exports one JSONL line per unit with the documented fields', async () => {
    const out = await h.cli(['results', status.jobId]);
    expect(out.exitCode).toBe(0);
    const lines = parseJsonl<Record<string, unknown>>(out.stdout);
    expect(lines.map((l) => l.key)).toEqual([
      'docs/doc01.md',
      'docs/doc02.md',
      'docs/doc03.md',
      'docs/doc04.md',
      'docs/doc05.md',
    ]);
    for (const [i, line] of lines.entries()) {
      expect(Object.keys(line).sort()).toEqual([
        'attempts',
        'costUsd',
        'durationMs',
        'error',
        'key',
        'result',
        'sessionId',
        'status',
        'unitId',
      ]);
      expect(line).toMatchObject({ unitId: i + 1, status: 'succeeded', error: null, attempts: 1 });
      expect(line.result).toBe(`Scripted answer: wrote ${path.join(dir, 'out', `doc0${i + 1}.md.txt`)}`);
      expect(line.costUsd).toBeGreaterThan(0);
      expect(line.sessionId).toMatch(/^[0-9a-f-]{36}$/);
      expect(line.durationMs).toBeGreaterThan(0);
    }
    const total = lines.reduce((sum, l) => sum + (l.costUsd as number), 0);
    expect(total).toBeCloseTo(status.costUsd, 6);
  });

  it('exports CSV with a header and quoted fields', async () => {
    const out = await h.cli(['results', status.jobId, '--format', 'csv']);
    const rows = out.stdout.trim().split('\n');
    expect(rows[0]).toBe('unitId,key,status,result,error,costUsd,sessionId,attempts,durationMs');
    expect(rows).toHaveLength(6);
    expect(rows[1]).toMatch(/^1,docs\/doc01\.md,succeeded,Scripted answer: wrote /);
  });

  it('keeps every conversation event in Postgres and shows it readably', async () => {
    const [{ n }] = await h.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM events e JOIN attempts a ON a.id = e.attempt_id WHERE a.job_id = $1 AND e.type = 'result'`,
      [status.jobId],
    );
    expect(n).toBe(5);
    const show = await h.cli(['show', status.jobId, 'docs/doc02.md']);
    expect(show.exitCode).toBe(0);
    expect(show.stdout).toContain('▶ tool Write');
    expect(show.stdout).toContain('Scripted answer: wrote');
    expect(show.stdout).toMatch(/attempt 1 \(batch, prompt v1\)/);
  });

  it('is findable in Temporal by its status search attribute', async () => {
    const client = await h.client();
    const found: string[] = [];
    const query = `AgenticBatchStatus = "COMPLETED" AND WorkflowId = "${status.jobId}"`;
    for await (const w of client.workflow.list({ query })) found.push(w.workflowId);
    expect(found).toEqual([status.jobId]);
    const running: string[] = [];
    for await (const w of client.workflow.list({
      query: `AgenticBatchStatus = "RUNNING" AND WorkflowId = "${status.jobId}"`,
    })) {
      running.push(w.workflowId);
    }
    expect(running).toEqual([]);
  });

  it('reports the job in list and status', async () => {
    const list = await h.cliJson<{ jobId: string; status: string }[]>(['list']);
    expect(list).toContainEqual(expect.objectContaining({ jobId: status.jobId, status: 'COMPLETED' }));
    const again = await h.cliJson<StatusJson>(['status', status.jobId]);
    expect(again.counts).toEqual(status.counts);
  });
});
