/**
 * Faults production produces, on real parts with servers of the test's own: Postgres restarted
 * mid-job (on 2b7a411 every worker exited on an unhandled ECONNREFUSED while groups ran),
 * Temporal restarted mid-job, and a worker frozen with SIGSTOP past its heartbeat timeout and
 * resumed once another finished the job (on 2b7a411 a settled unit went back to `running`). In
 * each, every worker lives on, every unit ends exactly once, and Postgres agrees with the job.
 */
import { afterAll, describe, expect, it } from '@jest/globals';
import { makeDocs, useHarness, waitFor, waitForStatus, writeSpec, type WorkerProcess } from '../support/harness.js';
import { OwnServers } from '../support/ownServers.js';

const servers = new OwnServers();
const h = useHarness({ stack: () => servers.start() });
afterAll(() => servers.stop());

const command = (seconds: number) => ({ type: 'command', command: ['sh', '-c', `sleep ${seconds}; echo ok`] });

async function createJob(name: string, units: number, spec: Record<string, unknown>): Promise<string> {
  const dir = await makeDocs(units);
  const file = await writeSpec(dir, {
    name,
    source: { type: 'files', glob: 'docs/*.md' },
    prompt: 'x',
    testUnits: 0,
    concurrency: 4,
    ...spec,
  });
  return (await h.cliJson<{ jobId: string }>(['create', file], { cwd: dir })).jobId;
}

const succeededInDb = async (jobId: string): Promise<number> =>
  (
    await h.query<{ n: number }>(`SELECT count(*)::int AS n FROM units WHERE job_id = $1 AND status = 'succeeded'`, [
      jobId,
    ])
  )[0]!.n;

/**
 * SIGSTOP the worker while it holds a unit (claimed, its fence raised, and not settled), so the
 * freeze really strands an attempt: between two groups it may hold none, and then the test would
 * prove nothing.
 */
async function freezeMidAttempt(pid: number, jobId: string): Promise<void> {
  for (let tries = 0; tries < 100; tries++) {
    process.kill(pid, 'SIGSTOP');
    const [{ n }] = await h.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM units WHERE job_id = $1 AND fence > 0 AND status IN ('pending', 'running')`,
      [jobId],
    );
    if (n > 0) return;
    process.kill(pid, 'SIGCONT');
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('the worker never held a unit when frozen');
}

/** Every unit succeeded once: one success on record each, none left open, the job's counts Postgres's. */
async function expectEachUnitOnce(jobId: string, total: number): Promise<void> {
  const done = await waitForStatus(h, jobId, (s) => ['COMPLETED', 'FAILED'].includes(s.status), 240_000);
  expect(done).toMatchObject({ status: 'COMPLETED', counts: { total, succeeded: total, failed: 0 } });
  const units = await h.query<{ status: string; n: number }>(
    'SELECT status, count(*)::int AS n FROM units WHERE job_id = $1 GROUP BY status',
    [jobId],
  );
  expect(units).toEqual([{ status: 'succeeded', n: total }]);
  const successes = await h.query<{ ok: number }>(
    `SELECT count(*) FILTER (WHERE finished_at IS NOT NULL AND error_type IS NULL)::int AS ok
     FROM attempts WHERE job_id = $1 GROUP BY unit_id`,
    [jobId],
  );
  expect(successes.map((u) => u.ok)).toEqual(Array(total).fill(1));
}

function expectAlive(...workers: WorkerProcess[]): void {
  for (const w of workers) {
    // Its last words, when it did not live: what killed it is the point of the test.
    if (w.process.exitCode !== null) throw new Error(`a worker exited ${w.process.exitCode}:\n${w.log.slice(-4000)}`);
  }
}

describe('faults', () => {
  const policy = { heartbeatTimeoutSeconds: 5, retryDelaySeconds: 1 };

  it('a Postgres restart mid-job, in groups and one unit per activity: no worker exits, every unit ends once', async () => {
    const workers = [await h.startWorker(), await h.startWorker()];
    const grouped = await createJob('pg-groups', 200, { agent: { ...command(0.05), ...policy } });
    const single = await createJob('pg-single', 24, { groupShortUnits: false, agent: { ...command(0.5), ...policy } });
    await waitFor(
      async () => (await succeededInDb(grouped)) >= 30 && (await succeededInDb(single)) >= 4,
      120_000,
      'both jobs under way',
    );
    await servers.restartPostgres(3000);
    await expectEachUnitOnce(grouped, 200);
    await expectEachUnitOnce(single, 24);
    expectAlive(...workers);
    await Promise.all(workers.map((w) => w.stop()));
  });

  it('a Temporal restart mid-job: no worker exits, every unit ends once', async () => {
    const workers = [await h.startWorker(), await h.startWorker()];
    const grouped = await createJob('t-groups', 200, { agent: { ...command(0.05), ...policy } });
    const single = await createJob('t-single', 24, { groupShortUnits: false, agent: { ...command(0.5), ...policy } });
    await waitFor(
      async () => (await succeededInDb(grouped)) >= 30 && (await succeededInDb(single)) >= 4,
      120_000,
      'both jobs under way',
    );
    await servers.restartTemporal(3000);
    await expectEachUnitOnce(grouped, 200);
    await expectEachUnitOnce(single, 24);
    expectAlive(...workers);
    await Promise.all(workers.map((w) => w.stop()));
  });

  it.each([
    ['in groups', 60, { agent: { ...command(0.2), heartbeatTimeoutSeconds: 3, retryDelaySeconds: 1 } }],
    [
      'one unit per activity',
      8,
      { groupShortUnits: false, agent: { ...command(3), heartbeatTimeoutSeconds: 3, retryDelaySeconds: 1 } },
    ],
  ])(
    'a worker frozen past its heartbeat timeout and resumed after another finished the job changes nothing (%s)',
    async (_how, total, spec) => {
      const frozen = await h.startWorker();
      const jobId = await createJob('frozen', total, { concurrency: 2, ...spec });
      await waitFor(async () => (await succeededInDb(jobId)) >= 3, 120_000, 'units to finish on the first worker');
      await freezeMidAttempt(frozen.pid, jobId);
      const other = await h.startWorker();
      try {
        await expectEachUnitOnce(jobId, total);
      } finally {
        process.kill(frozen.pid, 'SIGCONT');
      }
      // The frozen worker wakes with attempts it no longer owns: it finishes or drops them, and
      // its late writes change nothing.
      await new Promise((r) => setTimeout(r, 8000));
      await expectEachUnitOnce(jobId, total);
      expectAlive(frozen, other);
      await Promise.all([frozen.stop(), other.stop()]);
    },
  );
});
