/**
 * Requests that need a worker, with none running (real Temporal, a task queue no worker polls):
 * on 2b7a411 `pause`, `approve` and `cancel` waited forever, silently. Now they say why after a
 * few seconds, give up after --wait-seconds saying why, and the dashboard answers 503 instead
 * of hanging; once a worker comes, the job goes on (the cancel that was requested applies).
 */
import { describe, expect, it } from '@jest/globals';
import { startDashboard } from '../support/dashboard.js';
import { makeDocs, useHarness, waitForStatus, writeSpec } from '../support/harness.js';

const h = useHarness();

async function createJob(name: string): Promise<string> {
  const dir = await makeDocs(2);
  const spec = await writeSpec(dir, {
    name,
    source: { type: 'files', glob: 'docs/*.md' },
    prompt: 'x',
    testUnits: 0,
    agent: { type: 'command', command: ['true'] },
  });
  return (await h.cliJson<{ jobId: string }>(['create', spec], { cwd: dir })).jobId;
}

describe('with no worker polling the task queue', () => {
  it('pause says why it waits, then gives up after --wait-seconds, saying why', async () => {
    const jobId = await createJob('unserved');
    const started = Date.now();
    const r = await h.cli(['pause', jobId, '--wait-seconds', '6']);
    const took = Date.now() - started;
    expect(r.exitCode).toBe(1);
    const lines = r.stderr.trim().split('\n');
    expect(lines[0]).toBe(
      `waiting: no worker is polling task queue ${h.taskQueue}; the request waits for one — start one with \`agentic-batch worker\` or \`agentic-batch up -d\``,
    );
    expect(lines[1]).toBe(
      `error: pause ${jobId} was not answered within 6s: no worker is polling task queue ${h.taskQueue}`,
    );
    expect(lines[2]).toMatch(/^hint: start a worker/);
    expect(took).toBeGreaterThanOrEqual(6000);
    expect(took).toBeLessThan(20_000);
  });

  it('the dashboard answers 503 with the reason instead of hanging', async () => {
    const jobId = await createJob('unserved-dash');
    const dashboard = await startDashboard(h);
    try {
      const r = await fetch(`${dashboard.base}/api/jobs/${jobId}/pause`, {
        method: 'POST',
        headers: { authorization: `Bearer ${dashboard.token}`, 'content-type': 'application/json' },
        body: '{}',
      });
      expect(r.status).toBe(503);
      expect(((await r.json()) as { error: string }).error).toBe(
        `pause ${jobId} was not answered within 15s: no worker is polling task queue ${h.taskQueue}`,
      );
    } finally {
      await dashboard.stop();
    }
  });

  it('cancel is requested at once; its end waits for a worker, and comes when one starts', async () => {
    const jobId = await createJob('unserved-cancel');
    const r = await h.cli(['cancel', jobId, '--wait-seconds', '5']);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain(`waiting: no worker is polling task queue ${h.taskQueue}`);
    expect(r.stderr).toContain(`error: cancel ${jobId} was not answered within 5s`);
    await h.startWorker();
    const done = await waitForStatus(h, jobId, (s) => s.status === 'CANCELLED', 60_000);
    expect(done.status).toBe('CANCELLED');
  });
});
