/**
 * Priority between two jobs on one worker that runs one agent at a time: a low-priority job has a
 * backlog of units when a high-priority job arrives; the high one's units run next (Temporal's
 * task-queue priority, which the dev server honours with its new matcher and one partition).
 */
import { describe, expect, it } from '@jest/globals';
import { makeDocs, useHarness, waitForStatus, writeSpec } from '../support/harness.js';

describe('job priority', () => {
  const h = useHarness();

  it("starts a higher-priority job's units before a lower one's backlog", async () => {
    await h.startWorker({}, ['--max-concurrent-agents', '1']);
    const dir = await makeDocs(6);
    const spec = (name: string, priority: number, glob: string) => ({
      name,
      source: { type: 'files', glob },
      prompt: '[[fault:slow=2500]] Summarize {{relative_path}}.',
      testUnits: 0,
      concurrency: 6,
      groupShortUnits: false,
      priority,
      agent: { rehearse: true },
    });
    const create = async (file: string) => (await h.cliJson<{ jobId: string }>(['create', file], { cwd: dir })).jobId;
    const low = await create(await writeSpec(dir, spec('low', 5, 'docs/*.md'), 'low.yaml'));
    // The low job's first unit is done: one of its units runs, four wait in the task queue.
    await waitForStatus(h, low, (s) => s.counts.succeeded >= 1);
    const high = await create(await writeSpec(dir, spec('high', 1, 'docs/doc0[1-3].md'), 'high.yaml'));
    await waitForStatus(h, high, (s) => s.status === 'COMPLETED', 120_000);
    await waitForStatus(h, low, (s) => s.status === 'COMPLETED', 120_000);

    const starts = await h.query<{ job_id: string }>(
      'SELECT job_id FROM attempts WHERE job_id = ANY($1) ORDER BY started_at',
      [[low, high]],
    );
    const order = starts.map((s) => (s.job_id === high ? 'H' : 'L')).join('');
    // First come, first served would be LLLLLLHHH (the high job arrived behind five low units).
    expect(order).toHaveLength(9);
    expect(order.slice(-3)).toBe('LLL');
  });
});
