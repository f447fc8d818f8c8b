/**
 * The embedded default, as a user meets it: no TEMPORAL_ADDRESS, no DATABASE_URL. `run` starts
 * the background stack itself; `down` mid-job stops it; `up` brings it back and the job
 * continues where it was, every unit ending exactly once.
 */
import { chmod, mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execa } from 'execa';
import { CLI, makeDocs, parseJsonl, waitFor } from '../support/harness.js';

describe('embedded stack', () => {
  let home: string;
  const env = (): Record<string, string> => {
    const { TEMPORAL_ADDRESS: _t, DATABASE_URL: _d, ...rest } = process.env as Record<string, string>;
    return { ...rest, AGENTIC_BATCH_HOME: home, AGENTIC_BATCH_TASK_QUEUE: 'embedded-it' };
  };
  const cli = async (args: string[], cwd?: string) => {
    const r = await execa('node', [CLI, ...args], {
      env: env(),
      extendEnv: false,
      reject: false,
      cwd,
      stdin: 'ignore',
    });
    return { exitCode: r.exitCode ?? -1, stdout: r.stdout, stderr: r.stderr };
  };
  const status = async (jobId: string) =>
    JSON.parse((await cli(['status', jobId, '--json'])).stdout) as {
      status: string;
      counts: Record<string, number>;
    };

  beforeAll(async () => {
    home = await mkdtemp(path.join(os.tmpdir(), 'agentic-batch-embedded-'));
    await chmod(home, 0o711);
  });
  afterAll(async () => {
    await cli(['down']);
  });

  it('starts the stack on first use, survives down/up mid-job, and finishes every unit once', async () => {
    const noStack = await cli(['status', 'job-none']);
    expect(noStack.exitCode).toBe(1);
    expect(noStack.stderr).toContain('the agentic-batch stack is not running');

    const dir = await makeDocs(8);
    const first = await cli(
      [
        'run',
        '--files',
        'docs/*.md',
        '--prompt',
        'Summarize {{relative_path}}.',
        '--rehearse',
        '--yes',
        '--json',
        '--test-units',
        '0',
      ],
      dir,
    );
    expect(first.exitCode).toBe(0);
    expect(JSON.parse(first.stdout)).toMatchObject({ status: 'COMPLETED', counts: { succeeded: 8 } });
    // run links to the job's page on the dashboard the stack serves.
    const firstId = (JSON.parse(first.stdout) as { jobId: string }).jobId;
    expect(first.stderr).toMatch(new RegExp(`Dashboard: http://127\\.0\\.0\\.1:\\d+/jobs/${firstId}\\?token=\\S+`));

    const created = await cli(
      [
        'create',
        '--files',
        'docs/*.md',
        '--prompt',
        '[[fault:slow=1500]] Summarize {{relative_path}}.',
        '--rehearse',
        '--test-units',
        '0',
        '--concurrency',
        '2',
        '--json',
      ],
      dir,
    );
    const { jobId } = JSON.parse(created.stdout) as { jobId: string };
    await waitFor(async () => (await status(jobId)).counts.succeeded >= 2, 60_000, 'two units done');

    expect((await cli(['down'])).stderr).toContain('stack stopped');
    expect((await cli(['status', jobId])).exitCode).toBe(1);

    const up = await cli(['up', '-d']);
    expect(up.exitCode).toBe(0);
    expect(up.stderr).toMatch(/Temporal\s+127\.0\.0\.1:\d+\s+Web UI http:\/\/127\.0\.0\.1:\d+/);
    // The stack serves the dashboard on loopback, token required; status --json links to it.
    const link = /Dashboard (http:\/\/127\.0\.0\.1:\d+)\/\?token=(\S+)/.exec(up.stderr)!;
    expect(link).not.toBeNull();
    const [, dashboard, token] = link;
    expect((await fetch(`${dashboard}/api/jobs`)).status).toBe(401);
    const jobs = (await (
      await fetch(`${dashboard}/api/jobs`, { headers: { authorization: `Bearer ${token}` } })
    ).json()) as {
      jobs: { jobId: string }[];
    };
    expect(jobs.jobs.map((j) => j.jobId)).toContain(jobId);
    // A job's view links to it in the stack's Temporal Web UI.
    const view = (await (
      await fetch(`${dashboard}/api/jobs/${jobId}`, { headers: { authorization: `Bearer ${token}` } })
    ).json()) as { temporalUiUrl: string };
    expect(view.temporalUiUrl).toMatch(
      new RegExp(`^http://127\\.0\\.0\\.1:\\d+/namespaces/default/workflows/${jobId}$`),
    );
    expect((await status(jobId)) as unknown).toMatchObject({ dashboardUrl: `${dashboard}/?token=${token}` });
    // `dashboard` beside it: the running one's address, not EADDRINUSE (2b7a411: exit 2, port taken).
    const again = await cli(['dashboard']);
    expect(again.exitCode).toBe(0);
    expect(again.stderr).toContain(`dashboard: the stack serves it at ${dashboard}/?token=${token}`);
    // Asked for a proxy of its own, it serves one (the stack's was started without).
    const own = execa('node', [CLI, 'dashboard', '--trusted-proxy', '127.0.0.1', '--json'], {
      env: env(),
      extendEnv: false,
      reject: false,
      stdin: 'ignore',
    });
    const served = await new Promise<string>((resolve) => own.stdout!.once('data', (c: Buffer) => resolve(String(c))));
    own.kill('SIGTERM');
    await own;
    const ownDashboard = JSON.parse(served) as { port: number; running?: boolean };
    expect(ownDashboard.running).toBeUndefined();
    expect(String(ownDashboard.port)).not.toBe(new URL(dashboard!).port);
    const taken = await cli(['dashboard', '--port', new URL(dashboard!).port]);
    expect(taken.exitCode).toBe(2);
    expect(taken.stderr).toMatch(
      /cannot listen on 127\.0\.0\.1:\d+: .*EADDRINUSE.*\nhint: another program has that port/,
    );
    await waitFor(async () => (await status(jobId)).status === 'COMPLETED', 120_000, 'the job to complete after up');

    const results = parseJsonl<{ status: string }>((await cli(['results', jobId])).stdout);
    expect(results).toHaveLength(8);
    expect(results.every((r) => r.status === 'succeeded')).toBe(true);
    const list = JSON.parse((await cli(['list', '--json'])).stdout) as { jobId: string; status: string }[];
    expect(list.map((j) => j.status)).toEqual(['COMPLETED', 'COMPLETED']);
  });
});
