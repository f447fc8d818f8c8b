/**
 * A worktree unit whose worker is killed (SIGKILL) in the middle of its agent run: the worktree
 * it left, with a half-done edit, is cleared by the next attempt on another worker, which starts
 * from the job's base; the unit's commit holds only the finished work, and nothing is left over.
 */
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { useHarness, waitForFile, waitForStatus } from '../support/harness.js';

describe('a worktree unit whose worker is killed', () => {
  const h = useHarness();

  it('runs again from a clean worktree on another worker', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'agentic-batch-worktree-kill-'));
    const repo = path.join(dir, 'repo');
    await mkdir(repo);
    const git = (...args: string[]): string => execFileSync('git', args, { cwd: repo, encoding: 'utf8' }).trim();
    git('init', '--quiet');
    await writeFile(path.join(repo, 'README'), 'base\n');
    git('add', '.');
    git('-c', 'user.name=Dev', '-c', 'user.email=dev@example.com', 'commit', '--quiet', '-m', 'base');

    await writeFile(path.join(dir, 'tasks.jsonl'), JSON.stringify({ id: 'only' }));
    // The first run leaves a half-done file and hangs (it is killed); a later one must not see it.
    await writeFile(
      path.join(dir, 'agent.sh'),
      `#!/bin/sh
if [ -e half.txt ]; then echo "the killed attempt's half.txt is still here" >&2; exit 3; fi
if [ ! -e ${dir}/started ]; then touch ${dir}/started half.txt; sleep 60; fi
echo done > done.txt
`,
    );
    await writeFile(
      path.join(dir, 'job.yaml'),
      `name: worktree-kill
source: { type: jsonl, path: tasks.jsonl, key: id }
prompt: "x"
agent: { type: command, command: [sh, ${path.join(dir, 'agent.sh')}], cwd: repo, heartbeatTimeoutSeconds: 5, retryDelaySeconds: 1 }
isolation: { type: worktree }
testUnits: 0
`,
    );
    const first = await h.startWorker();
    const { jobId } = await h.cliJson<{ jobId: string }>(['create', 'job.yaml'], { cwd: dir });
    await waitForFile(path.join(dir, 'started'), 60_000, 'the first run');
    await first.kill();
    const second = await h.startWorker();
    const done = await waitForStatus(h, jobId, (s) => ['COMPLETED', 'FAILED'].includes(s.status), 120_000);
    await second.stop();

    expect(done).toMatchObject({ status: 'COMPLETED', counts: { succeeded: 1 } });
    const [unit] = await h.query<{ changes: { commit: string; filesChanged: number } }>(
      'SELECT changes FROM units WHERE job_id = $1',
      [jobId],
    );
    expect(unit!.changes.filesChanged).toBe(1);
    expect(git('show', '--name-only', '--format=', unit!.changes.commit)).toBe('done.txt');
    expect(git('worktree', 'list', '--porcelain').match(/^worktree /gm)).toHaveLength(1);
    expect(git('status', '--porcelain')).toBe('');
    const attempts = await h.query<{ error_type: string | null }>(
      'SELECT error_type FROM attempts WHERE job_id = $1 ORDER BY id',
      [jobId],
    );
    // The killed attempt never counts as a success.
    expect(attempts.at(-1)!.error_type).toBeNull();
    expect(attempts.slice(0, -1).every((a) => a.error_type !== null)).toBe(true);
  });
});
