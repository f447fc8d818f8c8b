/**
 * The verify step when its worker goes away in the middle of a check: killed (SIGKILL), or
 * stopped (SIGTERM) with the check outliving the shutdown grace. Either way the agent's success
 * that was waiting for its check is not taken for a success: the unit runs again on another
 * worker, and ends succeeded exactly once, checked.
 */
import { chmod, mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { useHarness, waitForFile, waitForStatus } from '../support/harness.js';

describe('verify when the worker goes away during a check', () => {
  const h = useHarness();

  async function jobWithSlowCheck(name: string): Promise<{ jobId: string; dir: string }> {
    const dir = await mkdtemp(path.join(os.tmpdir(), `agentic-batch-${name}-`));
    await writeFile(path.join(dir, 'tasks.jsonl'), JSON.stringify({ id: 'only' }));
    // The first check takes 20 s (it is cut off); every later one passes at once.
    await writeFile(
      path.join(dir, 'check.sh'),
      `#!/bin/sh
if [ -e started ]; then echo passed; exit 0; fi
touch started
sleep 20
echo "too late"
`,
    );
    await chmod(path.join(dir, 'check.sh'), 0o755);
    await writeFile(
      path.join(dir, 'job.yaml'),
      `name: ${name}
source: { type: jsonl, path: tasks.jsonl, key: id }
prompt: "Fix task {{id}}"
agent: { rehearse: true, cwd: ., heartbeatTimeoutSeconds: 5, retryDelaySeconds: 1 }
verify: { command: ["./check.sh"], timeoutSeconds: 60 }
testUnits: 0
`,
    );
    const { jobId } = await h.cliJson<{ jobId: string }>(['create', 'job.yaml'], { cwd: dir });
    return { jobId, dir };
  }

  async function expectCheckedOnce(jobId: string): Promise<void> {
    const done = await waitForStatus(h, jobId, (s) => ['COMPLETED', 'FAILED', 'CANCELLED'].includes(s.status), 120_000);
    expect(done).toMatchObject({ status: 'COMPLETED', counts: { total: 1, succeeded: 1 } });
    const attempts = await h.query<{ error_type: string | null }>(
      'SELECT error_type FROM attempts WHERE job_id = $1 ORDER BY id',
      [jobId],
    );
    // The run cut off during its check never counts as a success; the one after it does, once.
    expect(attempts.map((a) => a.error_type)).toEqual(['VerifyPending', null]);
    const [unit] = await h.query<{ verified: boolean; runs: number }>(
      'SELECT verified, jsonb_array_length(verify_runs)::int AS runs FROM units WHERE job_id = $1',
      [jobId],
    );
    expect(unit).toEqual({ verified: true, runs: 1 });
  }

  it.each([
    ['SIGKILL', 'kill'],
    ['SIGTERM, the check outliving the shutdown grace', 'stop'],
  ] as const)('%s: the unit runs again on another worker and is checked there, not cancelled', async (_, how) => {
    const first = await h.startWorker();
    const { jobId, dir } = await jobWithSlowCheck(`verify-${how}`);
    await waitForFile(path.join(dir, 'started'), 60_000, 'the check');
    await first[how]();
    const second = await h.startWorker();
    await expectCheckedOnce(jobId);
    await second.stop();
  });
});
