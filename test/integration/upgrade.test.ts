/**
 * An upgrade while jobs run: jobs created and half run by a worker of the previous release
 * (2b7a411, built from git in a temporary directory; it has no versioning) are finished by this
 * build's worker once the old one stops. On 2b7a411's successor that was `[TMPRL1100]
 * Nondeterminism error` and the job stuck RUNNING forever. Here every unit ends exactly once, no
 * workflow task fails, and a job that continues-as-new after the upgrade moves to version 2.
 */
import { chmod, mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { execa } from 'execa';
import {
  CLI,
  makeDocs,
  parseJsonl,
  useHarness,
  waitFor,
  waitForStatus,
  WorkerProcess,
  writeSpec,
  type StatusJson,
} from '../support/harness.js';
import { buildRelease, PREVIOUS_RELEASE } from '../support/oldRelease.js';

const h = useHarness();

const succeeded = async (jobId: string): Promise<number> =>
  (
    await h.query<{ n: number }>(`SELECT count(*)::int AS n FROM units WHERE job_id = $1 AND status = 'succeeded'`, [
      jobId,
    ])
  )[0]!.n;

/** Every run of the job's workflow, oldest first, with its events. */
async function runsOf(jobId: string) {
  const client = await h.client();
  const runs: { runId: string; start: number }[] = [];
  for await (const e of client.workflow.list({ query: `WorkflowId = "${jobId}"` }))
    runs.push({ runId: e.runId, start: e.startTime.getTime() });
  runs.sort((a, b) => a.start - b.start);
  return Promise.all(
    runs.map(async ({ runId }) => (await client.workflow.getHandle(jobId, runId).fetchHistory()).events ?? []),
  );
}

describe(`upgrading from ${PREVIOUS_RELEASE} while jobs run`, () => {
  it('finishes on this build the jobs the previous release started, every unit once', async () => {
    const release = await buildRelease();
    const oldCli = path.join(release, 'bin', 'agentic-batch.js');
    const oldWorker = new WorkerProcess(
      execa('node', [oldCli, 'worker'], { env: h.env(), reject: false, stdin: 'ignore', all: true }),
    );
    await oldWorker.ready();

    const dir = await makeDocs(300);
    const create = async (spec: Record<string, unknown>): Promise<string> => {
      const file = await writeSpec(
        dir,
        { source: { type: 'files', glob: 'docs/*.md' }, prompt: 'x', testUnits: 0, ...spec },
        `${spec.name}.yaml`,
      );
      const r = await execa('node', [oldCli, 'create', file, '--json'], { cwd: dir, env: h.env() });
      return (JSON.parse(r.stdout) as { jobId: string }).jobId;
    };
    const grouped = await create({
      name: 'upgrade-groups',
      concurrency: 4,
      agent: { type: 'command', command: ['sh', '-c', 'sleep 0.1; echo ok'] },
    });
    const single = await create({
      name: 'upgrade-single',
      concurrency: 4,
      groupShortUnits: false,
      // doc10…doc19 and doc100…doc199: long enough to continue-as-new after the upgrade.
      source: { type: 'files', glob: 'docs/doc1*.md' },
      agent: { type: 'command', command: ['sh', '-c', 'sleep 0.1; echo ok'] },
    });
    await waitFor(
      async () => (await succeeded(grouped)) >= 60 && (await succeeded(single)) >= 10,
      120_000,
      'both jobs half run on the old release',
    );
    await oldWorker.stop();
    const before = { grouped: await succeeded(grouped), single: await succeeded(single) };
    expect(before.grouped).toBeLessThan(300);

    const worker = await h.startWorker();
    for (const [jobId, total] of [
      [grouped, 300],
      [single, 110],
    ] as const) {
      const done = await waitForStatus(h, jobId, (s) => ['COMPLETED', 'FAILED'].includes(s.status), 240_000);
      expect(done).toMatchObject({ status: 'COMPLETED', counts: { total, succeeded: total, failed: 0 } });
      const perUnit = await h.query<{ ok: number }>(
        `SELECT count(*) FILTER (WHERE finished_at IS NOT NULL AND error_type IS NULL)::int AS ok
         FROM attempts WHERE job_id = $1 GROUP BY unit_id`,
        [jobId],
      );
      expect(perUnit.map((u) => u.ok)).toEqual(Array(total).fill(1));
      const runs = await runsOf(jobId);
      const failedTasks = runs.flat().filter((e) => e.workflowTaskFailedEventAttributes);
      expect(failedTasks.map((e) => e.workflowTaskFailedEventAttributes?.failure?.message)).toEqual([]);
      // Begun on the old release: its first run has no version marker (version 1).
      const marked = (events: (typeof runs)[number]) =>
        events.some((e) => e.markerRecordedEventAttributes?.markerName === 'core_patch');
      expect(marked(runs[0]!)).toBe(false);
      // A run continued on this build is version 2, from the state version 1 carried.
      if (jobId === single) {
        expect(runs.length).toBeGreaterThanOrEqual(2);
        expect(marked(runs.at(-1)!)).toBe(true);
      }
    }
    expect(worker.process.exitCode).toBeNull();
  });

  it('`up -d` of this build restarts the embedded stack of the previous release, and its job finishes', async () => {
    const release = await buildRelease();
    const home = await mkdtemp(path.join(os.tmpdir(), 'agentic-batch-upgrade-'));
    await chmod(home, 0o711);
    const { TEMPORAL_ADDRESS: _t, DATABASE_URL: _d, ...inherited } = process.env as Record<string, string>;
    const env = { ...inherited, AGENTIC_BATCH_HOME: home, AGENTIC_BATCH_TASK_QUEUE: 'upgrade-stack' };
    const run = (cli: string, args: string[], cwd?: string) =>
      execa('node', [cli, ...args], { env, extendEnv: false, reject: false, cwd, stdin: 'ignore' });
    const oldCli = path.join(release, 'bin', 'agentic-batch.js');
    try {
      const dir = await makeDocs(30);
      const file = await writeSpec(dir, {
        name: 'upgrade-stack',
        source: { type: 'files', glob: 'docs/*.md' },
        prompt: 'x',
        testUnits: 0,
        concurrency: 2,
        agent: { type: 'command', command: ['sh', '-c', 'sleep 0.3; echo ok'] },
      });
      const created = await run(oldCli, ['create', file, '--json'], dir);
      expect(created.stderr).not.toMatch(/error/i);
      const { jobId } = JSON.parse(created.stdout) as { jobId: string };
      const status = async (cli: string) =>
        JSON.parse((await run(cli, ['status', jobId, '--json'])).stdout) as StatusJson;
      await waitFor(async () => (await status(oldCli)).counts.succeeded >= 6, 120_000, 'the job half run');

      const up = await run(CLI, ['up', '-d']);
      expect(up.exitCode).toBe(0);
      expect(up.stderr).toMatch(/the running stack's worker is another build \(unnamed, this is \w+\): restarting/);
      await waitFor(async () => (await status(CLI)).status === 'COMPLETED', 120_000, 'the job to finish');
      const done = await status(CLI);
      expect(done.counts).toMatchObject({ total: 30, succeeded: 30, failed: 0 });
      const results = parseJsonl<{ status: string; attempts: number }>((await run(CLI, ['results', jobId])).stdout);
      expect(results.map((r) => r.status)).toEqual(Array(30).fill('succeeded'));
    } finally {
      await run(CLI, ['down']);
    }
  });
});
