/**
 * The verify step on real parts: the real claude against the scripted Messages API, a check
 * script run in the unit's directory after each success. A unit whose check passes at once; one
 * whose check fails once and is repaired on the same session (`--resume`) with the check's
 * output; one whose check never passes (VerifyFailed after its repairs). Every check is on record.
 */
import { chmod, mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from '@jest/globals';
import { useHarness } from '../support/harness.js';

const h = useHarness({ worker: true });
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'agentic-batch-verify-'));
  await writeFile(
    path.join(dir, 'tasks.jsonl'),
    ['ok', 'flaky', 'broken'].map((id) => JSON.stringify({ id })).join('\n'),
  );
  // ok passes; flaky fails its first check; broken never passes. It runs in the unit's directory.
  await writeFile(
    path.join(dir, 'check.sh'),
    `#!/bin/sh
case "$1" in
  ok) echo "all 3 tests passed" ;;
  flaky) if [ -e flaky.checked ]; then echo "all 3 tests passed"; else touch flaky.checked; echo "FAIL flaky.test: expected 2, got 3"; exit 1; fi ;;
  *) echo "FAIL $1.test: still broken" >&2; exit 2 ;;
esac
`,
  );
  await chmod(path.join(dir, 'check.sh'), 0o755);
});

interface Result {
  key: string;
  status: string;
  error: string | null;
  attempts: number;
  verified: boolean | null;
  verifyRuns: { exitCode: number | null; outputTail: string; durationMs: number }[];
}

describe('verify', () => {
  it('checks each success, repairs a failed check on the same session, and fails a unit it cannot repair', async () => {
    await writeFile(
      path.join(dir, 'job.yaml'),
      `name: checked
source: { type: jsonl, path: tasks.jsonl, key: id }
prompt: "Fix task {{id}}"
agent: { rehearse: true, cwd: . }
verify: { command: ["./check.sh", "{{id}}"], attempts: 2, timeoutSeconds: 30 }
testUnits: 0
`,
    );
    const status = await h.runJob(['job.yaml'], { cwd: dir });
    expect(status).toMatchObject({ status: 'FAILED', counts: { total: 3, succeeded: 2, failed: 1 } });

    const byKey = await h.resultsByKey<Result>(status.jobId);
    expect(byKey.ok).toMatchObject({ status: 'succeeded', verified: true, attempts: 1 });
    expect(byKey.ok!.verifyRuns).toEqual([
      expect.objectContaining({ exitCode: 0, outputTail: 'all 3 tests passed\n' }),
    ]);

    expect(byKey.flaky).toMatchObject({ status: 'succeeded', verified: true, attempts: 2 });
    expect(byKey.flaky!.verifyRuns.map((v) => v.exitCode)).toEqual([1, 0]);

    expect(byKey.broken).toMatchObject({ status: 'failed', verified: false, attempts: 3 });
    expect(byKey.broken!.verifyRuns.map((v) => v.exitCode)).toEqual([2, 2, 2]);
    expect(byKey.broken!.error).toBe(
      `VerifyFailed: the check \`${dir}/check.sh broken\` failed (exit 2): FAIL broken.test: still broken (2 repairs did not fix it)`,
    );

    // The repair continued the session with the check's output; the first run stands as VerifyFailed.
    const attempts = await h.query<{ prompt: string; session_id: string; error_type: string | null }>(
      `SELECT a.prompt, a.session_id, a.error_type FROM attempts a JOIN units u ON u.job_id = a.job_id AND u.unit_id = a.unit_id
       WHERE a.job_id = $1 AND u.key = 'flaky' ORDER BY a.id`,
      [status.jobId],
    );
    expect(attempts.map((a) => a.error_type)).toEqual(['VerifyFailed', null]);
    expect(attempts[1]!.session_id).toBe(attempts[0]!.session_id);
    expect(attempts[1]!.prompt).toBe(
      `the check \`${dir}/check.sh flaky\` failed (exit 1):\n\nFAIL flaky.test: expected 2, got 3\n\nFix it, so that the check passes.`,
    );

    const shown = await h.cli(['show', status.jobId, 'flaky']);
    expect(shown.stdout).toMatch(
      /check 1: failed \(exit 1\)[^\n]*\n\s+FAIL flaky\.test: expected 2, got 3\ncheck 2: passed/,
    );
    const csv = (await h.cli(['results', status.jobId, '--format', 'csv'])).stdout.split('\n');
    expect(csv[0]).toBe('unitId,key,status,result,error,costUsd,sessionId,attempts,durationMs,verified');
  });
});
