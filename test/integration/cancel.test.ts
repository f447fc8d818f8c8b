/** Cancelling a job mid-run stops its agents (the real claude, hung on the API) and settles every unit. */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { execa } from 'execa';
import { useHarness, makeDocs, waitFor, waitForStatus, writeSpec } from '../support/harness.js';

describe('cancel', () => {
  const h = useHarness({ worker: true });

  const agentsWith = async (token: string) => (await execa('pgrep', ['-f', token], { reject: false })).stdout.trim();

  it('kills running agents, marks the rest cancelled, and ends CANCELLED', async () => {
    const token = `cancel-${randomBytes(4).toString('hex')}`;
    const dir = await makeDocs(6);
    const file = await writeSpec(dir, {
      name: 'cancel-me',
      source: { type: 'files', glob: 'docs/*.md' },
      prompt: `[[fault:hang]] ${token} Summarize {{relative_path}}.`,
      testUnits: 0,
      // Within slow start's two units: an API that never answers admits no third.
      concurrency: 2,
      agent: { rehearse: true },
    });
    const { jobId } = await h.cliJson<{ jobId: string }>(['create', file], { cwd: dir });
    await waitForStatus(h, jobId, (s) => s.counts.running === 2);
    await waitFor(async () => (await agentsWith(token)).split('\n').filter(Boolean).length >= 2, 30_000, 'two agents');

    const cancelled = await h.cliJson<{ status: string; counts: Record<string, number> }>(['cancel', jobId]);
    expect(cancelled).toMatchObject({
      status: 'CANCELLED',
      counts: { total: 6, cancelled: 6, succeeded: 0, failed: 0, pending: 0, running: 0 },
    });
    expect(await agentsWith(token)).toBe('');

    const units = await h.query<{ status: string; n: number }>(
      'SELECT status, count(*)::int AS n FROM units WHERE job_id = $1 GROUP BY status',
      [jobId],
    );
    expect(units).toEqual([{ status: 'cancelled', n: 6 }]);
    const attempts = await h.query<{ error_type: string }>('SELECT error_type FROM attempts WHERE job_id = $1', [
      jobId,
    ]);
    expect(attempts.map((a) => a.error_type)).toEqual(['Cancelled', 'Cancelled']);

    const client = await h.client();
    const description = await client.workflow.getHandle(jobId).describe();
    expect(description.status.name).toBe('CANCELLED');
    expect(description.searchAttributes.AgenticBatchStatus).toEqual(['CANCELLED']);
  });
});
