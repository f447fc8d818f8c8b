/**
 * Idempotent create, as the provider batch APIs offer it: the same key returns the job it
 * created — also when two creates race — and the same key with another spec is refused.
 */
import { describe, expect, it } from '@jest/globals';
import { makeDocs, useHarness, writeSpec } from '../support/harness.js';

interface Created {
  jobId: string;
  totalUnits: number;
  existing: boolean;
}

describe('idempotent create', () => {
  const h = useHarness({ worker: true });

  const spec = (key: string, prompt = 'Summarize {{relative_path}}.') => ({
    name: 'idempotent',
    source: { type: 'files', glob: 'docs/*.md' },
    prompt,
    testUnits: 1,
    idempotencyKey: key,
    agent: { rehearse: true },
  });
  const jobsWithKey = async (key: string) =>
    h.query<{ id: string }>('SELECT id FROM jobs WHERE idempotency_key = $1', [key]);

  it('returns the job the key created, with nothing new stored', async () => {
    const dir = await makeDocs(3);
    const key = `nightly-${Date.now()}`;
    const file = await writeSpec(dir, spec(key));
    const first = await h.cliJson<Created>(['create', file], { cwd: dir });
    expect(first).toMatchObject({ totalUnits: 3, existing: false });
    const again = await h.cliJson<Created>(['create', file], { cwd: dir });
    expect(again).toEqual({ jobId: first.jobId, totalUnits: 3, existing: true });

    // The flag works like the field, and says so for people.
    const byFlag = await h.cli(['create', file, '--idempotency-key', key], { cwd: dir });
    expect(byFlag.exitCode).toBe(0);
    expect(byFlag.stderr).toContain(`${first.jobId} already exists for idempotency key "${key}"`);
    expect(await jobsWithKey(key)).toEqual([{ id: first.jobId }]);
    await h.cli(['cancel', first.jobId]);
  });

  it('gives two racing creates one job', async () => {
    const dir = await makeDocs(40);
    const key = `race-${Date.now()}`;
    const file = await writeSpec(dir, spec(key));
    const [a, b] = await Promise.all([
      h.cliJson<Created>(['create', file], { cwd: dir }),
      h.cliJson<Created>(['create', file], { cwd: dir }),
    ]);
    expect(a.jobId).toBe(b.jobId);
    expect([a.existing, b.existing].sort()).toEqual([false, true]);
    expect(await jobsWithKey(key)).toHaveLength(1);
    const units = await h.query<{ n: string }>('SELECT count(*) AS n FROM units WHERE job_id = $1', [a.jobId]);
    expect(Number(units[0]!.n)).toBe(40);
    await h.cli(['cancel', a.jobId]);
  });

  it('refuses the key with a different spec, creating nothing', async () => {
    const dir = await makeDocs(2);
    const key = `changed-${Date.now()}`;
    const first = await h.cliJson<Created>(['create', await writeSpec(dir, spec(key))], { cwd: dir });
    const other = await writeSpec(dir, spec(key, 'Translate {{relative_path}}.'), 'other.yaml');
    const refused = await h.cli(['create', other], { cwd: dir });
    expect(refused.exitCode).toBe(2);
    expect(refused.stderr).toContain(`idempotency key "${key}" created ${first.jobId} from a different spec`);
    expect(refused.stderr).toContain(`agentic-batch status ${first.jobId}`);
    expect(await jobsWithKey(key)).toEqual([{ id: first.jobId }]);
    await h.cli(['cancel', first.jobId]);
  });
});
