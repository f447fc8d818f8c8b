/**
 * How failures are classified and retried, with the real claude against scripted faults:
 * auth errors fail at once, overloads retry and recover, a hung agent is killed and retried.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { execa } from 'execa';
import { useHarness, makeDocs, parseJsonl, waitForStatus, writeSpec } from '../support/harness.js';

interface Attempt {
  attempt: number;
  error_type: string | null;
  finished_at: Date | null;
  session_id: string | null;
}

describe('failures and retries', () => {
  const h = useHarness({ worker: true });

  async function runOne(prompt: string, agent: Record<string, unknown> = {}) {
    const dir = await makeDocs(1);
    const file = await writeSpec(dir, {
      name: 'failures',
      source: { type: 'files', glob: 'docs/*.md' },
      prompt,
      testUnits: 0,
      retries: 3,
      agent: { rehearse: true, retryDelaySeconds: 1, ...agent },
    });
    const { jobId } = await h.cliJson<{ jobId: string }>(['create', file], { cwd: dir });
    const status = await waitForStatus(h, jobId, (s) => ['COMPLETED', 'FAILED'].includes(s.status));
    const attempts = await h.query<Attempt>(
      'SELECT attempt, error_type, finished_at, session_id FROM attempts WHERE job_id = $1 ORDER BY id',
      [jobId],
    );
    const [result] = parseJsonl<Record<string, unknown>>((await h.cli(['results', jobId])).stdout);
    return { jobId, status, attempts, result: result! };
  }

  it('fails a 401 at once, without retries', async () => {
    const started = Date.now();
    const { status, attempts, result } = await runOne('[[fault:401]] Summarize {{relative_path}}.');
    expect(status.status).toBe('FAILED');
    expect(status.counts).toMatchObject({ total: 1, failed: 1, succeeded: 0 });
    expect(attempts).toHaveLength(1);
    expect(attempts[0]!.error_type).toBe('AgentAuthError');
    expect(result).toMatchObject({ status: 'failed', attempts: 1 });
    expect(result.error).toMatch(/^AgentAuthError: API error 401: Invalid API key/);
    expect(Date.now() - started).toBeLessThan(20_000);
  });

  it('retries a 529 twice and then succeeds', async () => {
    const { status, attempts, result } = await runOne('[[fault:529x2]] Summarize {{relative_path}}.');
    expect(status.status).toBe('COMPLETED');
    expect(attempts.map((a) => [a.attempt, a.error_type])).toEqual([
      [1, 'AgentOverloaded'],
      [2, 'AgentOverloaded'],
      [3, null],
    ]);
    expect(result).toMatchObject({ status: 'succeeded', attempts: 3, error: null });
  });

  it("resumes the failed attempt's session on retry when the spec allows it", async () => {
    const { status, attempts } = await runOne('[[fault:529x1]] Summarize {{relative_path}}.', { resumeOnRetry: true });
    expect(status.status).toBe('COMPLETED');
    expect(attempts.map((a) => a.error_type)).toEqual(['AgentOverloaded', null]);
    expect(attempts[0]!.session_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(attempts[1]!.session_id).toBe(attempts[0]!.session_id);
  });

  it('kills a hung agent when it goes silent, retries, and leaves no process behind', async () => {
    const token = `hang-${randomBytes(4).toString('hex')}`;
    const { status, attempts } = await runOne(`[[fault:hangx1]] ${token} Summarize {{relative_path}}.`, {
      idleTimeoutSeconds: 3,
    });
    expect(status.status).toBe('COMPLETED');
    expect(attempts.map((a) => [a.attempt, a.error_type])).toEqual([
      [1, 'AgentIdle'],
      [2, null],
    ]);
    const ps = await execa('pgrep', ['-f', token], { reject: false });
    expect(ps.stdout.trim()).toBe('');
  });

  it('retries an agent that exits without a result line, then fails the unit', async () => {
    const { status, attempts, result } = await runOne('Summarize {{relative_path}}.', { bin: '/bin/true' });
    expect(status.status).toBe('FAILED');
    expect(attempts.map((a) => a.error_type)).toEqual([
      'AgentNoResult',
      'AgentNoResult',
      'AgentNoResult',
      'AgentNoResult',
    ]);
    expect(result.error).toMatch(/^AgentNoResult: the agent exited with code 0 without a result/);
  });
});
