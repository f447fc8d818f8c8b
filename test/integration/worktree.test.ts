/**
 * A git worktree and branch per unit, on real parts (real Temporal, Postgres and git; the
 * command agent). Units edit the same file in parallel and each sees only its own edit; a unit
 * that fails once starts its retry from a clean worktree; one that never succeeds leaves no
 * branch; one that changes nothing says so. The user's checkout is never touched. Then `apply`
 * merges the branches one by one, reporting the one deliberate conflict by unit, and `--squash`
 * makes one commit.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from '@jest/globals';
import { useHarness } from '../support/harness.js';

const h = useHarness({ worker: true });

/** Line of shared.txt each unit rewrites; d rewrites a's: a conflict when both are merged. */
const LINES = { a: 1, b: 10, c: 20, d: 1, flaky: 30, never: 40 };
const ORIGINAL = Array.from({ length: 45 }, (_, i) => `line ${i}`).join('\n') + '\n';

const HOOKS = [
  'post-checkout',
  'pre-commit',
  'commit-msg',
  'post-commit',
  'pre-merge-commit',
  'post-merge',
  'reference-transaction',
];
let dir: string;
let repo: string;
let base: string;

/** The test's own git: without hooks too (its update-ref would run reference-transaction). */
const git = (...args: string[]): string =>
  execFileSync('git', ['-c', 'core.hooksPath=/dev/null', ...args], {
    cwd: repo,
    encoding: 'utf8',
    env: { ...process.env, LC_ALL: 'C' },
  }).trim();

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'agentic-batch-worktree-'));
  repo = path.join(dir, 'repo');
  await mkdir(repo);
  git('init', '--quiet', '--initial-branch=main');
  git('config', 'user.email', 'dev@example.com');
  git('config', 'user.name', 'Dev');
  await writeFile(path.join(repo, 'shared.txt'), ORIGINAL);
  git('add', '.');
  git('commit', '--quiet', '-m', 'base');
  base = git('rev-parse', 'HEAD');
  // Hooks an agent could plant in the shared .git: none may run (on 2b7a411 post-checkout ran
  // for every unit's worktree, pre-commit and post-commit for every unit's commit).
  for (const hook of HOOKS) {
    await writeFile(path.join(repo, '.git', 'hooks', hook), `#!/bin/sh\ntouch ${JSON.stringify(dir)}/ran-${hook}\n`, {
      mode: 0o755,
    });
  }

  await writeFile(
    path.join(dir, 'tasks.jsonl'),
    ['a', 'b', 'c', 'd', 'e', 'flaky', 'never'].map((id) => JSON.stringify({ id })).join('\n'),
  );
  // The agent: rewrites its line of shared.txt after a pause (so units overlap), failing if it
  // ever sees another unit's edit or an earlier attempt's leftovers.
  await writeFile(
    path.join(dir, 'edit.mjs'),
    `import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
const key = process.argv[2];
const line = ${JSON.stringify(LINES)}[key];
const foreign = () => readFileSync('shared.txt', 'utf8').split('\\n').filter((l) => l.startsWith('edited by'));
if (existsSync('junk.txt')) { console.error('an earlier attempt left junk.txt'); process.exit(4); }
if (key === 'e') { console.log('nothing to change'); process.exit(0); }
const marker = ${JSON.stringify(dir)} + '/flaky.failed';
if (key === 'flaky' && !existsSync(marker)) {
  writeFileSync(marker, '');
  writeFileSync('junk.txt', 'half-done');
  console.error('failing once'); process.exit(1);
}
if (key === 'never') { writeFileSync('junk.txt', 'x'); process.exit(1); }
await new Promise((r) => setTimeout(r, 1500));
if (foreign().length) { console.error('sees ' + foreign()); process.exit(3); }
const lines = readFileSync('shared.txt', 'utf8').split('\\n');
lines[line] = 'edited by ' + key;
writeFileSync('shared.txt', lines.join('\\n'));
mkdirSync('out', { recursive: true });
writeFileSync('out/' + key + '.txt', key + '\\n');
console.log('worked in ' + process.cwd());
console.log('edited line ' + line);
`,
  );
  await writeFile(
    path.join(dir, 'job.yaml'),
    `name: isolated
source: { type: jsonl, path: tasks.jsonl, key: id }
prompt: "Edit for {{id}}"
agent: { type: command, command: [node, ${JSON.stringify(path.join(dir, 'edit.mjs'))}, "{{id}}"], cwd: repo, retryDelaySeconds: 1 }
isolation: { type: worktree }
concurrency: 7
retries: 1
testUnits: 0
`,
  );
});

interface Result {
  key: string;
  status: string;
  branch: string | null;
  commit: string | null;
  filesChanged: number | null;
  insertions: number | null;
  deletions: number | null;
}

interface Applied {
  into: string;
  created: boolean;
  head: string;
  squashed: boolean;
  merged: { key: string; ref: string }[];
  conflicts: { key: string; ref: string; files: string[] }[];
  unchanged: string[];
}

describe('isolation: worktree', () => {
  let jobId: string;

  it('runs each unit in its own worktree and branch, leaving the checkout alone', async () => {
    const status = await h.runJob(['job.yaml'], { cwd: dir });
    jobId = status.jobId;
    expect(status).toMatchObject({ status: 'FAILED', counts: { total: 7, succeeded: 6, failed: 1 } });

    const byKey = await h.resultsByKey<Result>(jobId);
    const prefix = `agentic-batch/${jobId}`;
    expect(byKey.a).toEqual(
      expect.objectContaining({
        status: 'succeeded',
        branch: `${prefix}/1-a`,
        commit: git('rev-parse', `${prefix}/1-a`),
        filesChanged: 2,
        insertions: 2,
        deletions: 1,
      }),
    );
    expect(git('log', '-1', '--format=%s', `${prefix}/1-a`)).toBe(`agentic-batch: ${jobId} a`);
    expect(git('rev-parse', `${prefix}/1-a~1`)).toBe(base);
    // Each branch holds its own edit only: no unit saw another's.
    for (const key of ['a', 'b', 'c', 'd'] as const) {
      const shared = git('show', `${byKey[key]!.branch}:shared.txt`).split('\n');
      expect(shared.filter((l) => l.startsWith('edited by'))).toEqual([`edited by ${key}`]);
    }
    expect(byKey.e).toMatchObject({ status: 'succeeded', branch: null, commit: null, filesChanged: 0 });
    // The retry started from a clean worktree: the failed attempt's junk is in no commit.
    expect(byKey.flaky).toMatchObject({ status: 'succeeded', filesChanged: 2 });
    expect(git('show', '--name-only', '--format=', byKey.flaky!.commit!).split('\n').sort()).toEqual([
      'out/flaky.txt',
      'shared.txt',
    ]);
    expect(byKey.never).toMatchObject({ status: 'failed', branch: null, commit: null });

    // Branches only for units that changed something; no worktree left anywhere.
    expect(git('for-each-ref', '--format=%(refname:lstrip=2)', `refs/heads/${prefix}/`).split('\n')).toEqual(
      ['1-a', '2-b', '3-c', '4-d', '6-flaky'].map((b) => `${prefix}/${b}`),
    );
    expect(git('worktree', 'list', '--porcelain').match(/^worktree /gm)).toHaveLength(1);
    // Each worktree was in the worker's private temp directory (0700), and is gone.
    const worked = /worked in (\S+)/.exec((byKey.a as unknown as { result: string }).result)![1]!;
    expect(path.relative(os.tmpdir(), worked)).toMatch(/^agentic-batch-\w+\/worktrees\//);
    expect(existsSync(worked)).toBe(false);
    expect(statSync(path.join(os.tmpdir(), path.relative(os.tmpdir(), worked).split(path.sep)[0]!)).mode & 0o777).toBe(
      0o700,
    );
    // The user's checkout: same branch, same commit, same file, nothing to commit.
    expect(git('symbolic-ref', '--short', 'HEAD')).toBe('main');
    expect(git('rev-parse', 'HEAD')).toBe(base);
    expect(git('status', '--porcelain')).toBe('');
    expect(await readFile(path.join(repo, 'shared.txt'), 'utf8')).toBe(ORIGINAL);

    const show = await h.cli(['show', jobId, 'a']);
    expect(show.stdout).toContain(`changes: 2 files, +2 -1 on ${prefix}/1-a (${byKey.a!.commit!.slice(0, 7)})`);
    const csv = (await h.cli(['results', jobId, '--format', 'csv'])).stdout.split('\n');
    expect(csv[0]).toBe(
      'unitId,key,status,result,error,costUsd,sessionId,attempts,durationMs,branch,commit,filesChanged,insertions,deletions',
    );
  });

  it('applies the commit each unit recorded, one by one, reporting the conflict by unit; no hook runs', async () => {
    const byKey = await h.resultsByKey<Result>(jobId);
    // Someone (an agent of a later unit) moves b's branch back to the base: apply merges b's commit anyway.
    git('update-ref', `refs/heads/agentic-batch/${jobId}/2-b`, base);
    const r = await h.cli(['apply', jobId, '--json']);
    expect(r.exitCode).toBe(1);
    const applied = JSON.parse(r.stdout) as Applied;
    const into = `agentic-batch/${jobId}/all`;
    expect(applied).toMatchObject({ into, created: true, squashed: false, unchanged: ['e'] });
    expect(applied.merged.map((m) => m.key)).toEqual(['a', 'b', 'c', 'flaky']);
    expect(applied.conflicts).toEqual([
      { key: 'd', ref: byKey.d!.commit, branch: `agentic-batch/${jobId}/4-d`, files: ['shared.txt'] },
    ]);
    expect(git('rev-parse', into)).toBe(applied.head);
    const shared = git('show', `${into}:shared.txt`).split('\n');
    expect(shared.filter((l) => l.startsWith('edited by'))).toEqual([
      'edited by a',
      'edited by b',
      'edited by c',
      'edited by flaky',
    ]);
    expect(git('ls-tree', '--name-only', `${into}:out`).split('\n')).toEqual(['a.txt', 'b.txt', 'c.txt', 'flaky.txt']);
    // Nothing half-merged, the checkout untouched, no temporary worktree left.
    expect(git('status', '--porcelain')).toBe('');
    expect(git('rev-parse', 'HEAD')).toBe(base);
    expect(git('worktree', 'list', '--porcelain').match(/^worktree /gm)).toHaveLength(1);

    // Again: everything is already there, the branch does not move.
    const again = JSON.parse((await h.cli(['apply', jobId, '--json'])).stdout) as Applied;
    expect(again).toMatchObject({ created: false, head: applied.head });

    const text = await h.cli(['apply', jobId]);
    expect(text.stderr).toContain(`conflict: d (agentic-batch/${jobId}/4-d, ${byKey.d!.commit!.slice(0, 7)})`);
    expect(text.stderr).toContain('in shared.txt: left out');
    expect((await readdir(dir)).filter((f) => f.startsWith('ran-'))).toEqual([]);
  });

  it('--squash makes the merged result one commit on the base', async () => {
    const r = await h.cli(['apply', jobId, '--into', 'squashed', '--squash', '--json']);
    expect(r.exitCode).toBe(1);
    const applied = JSON.parse(r.stdout) as Applied;
    expect(applied).toMatchObject({ into: 'squashed', created: true, squashed: true });
    expect(git('rev-list', '--count', `${base}..squashed`)).toBe('1');
    expect(git('rev-parse', 'squashed^{tree}')).toBe(git('rev-parse', `agentic-batch/${jobId}/all^{tree}`));
  });

  it('refuses at create a job whose files lie outside the repository, storing nothing', async () => {
    const outside = await mkdtemp(path.join(os.tmpdir(), 'agentic-batch-outside-'));
    await writeFile(path.join(outside, 'notes.md'), '# notes\n');
    await writeFile(
      path.join(dir, 'outside.yaml'),
      `name: outside
source: { type: files, glob: "*.md", cwd: ${JSON.stringify(outside)} }
prompt: "Edit {{file_path}}"
agent: { type: command, command: ["true"], cwd: repo }
isolation: { type: worktree }
testUnits: 0
`,
    );
    const before = await h.query<{ n: number }>('SELECT count(*)::int AS n FROM jobs');
    const r = await h.cli(['create', 'outside.yaml'], { cwd: dir });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain(
      `is outside the repository ${repo}: with isolation: worktree its agent would edit the original file`,
    );
    expect(r.stderr).toContain('notes.md');
    expect(await h.query<{ n: number }>('SELECT count(*)::int AS n FROM jobs')).toEqual(before);
  });

  it('refuses to move the checked-out branch, and a job without isolation', async () => {
    const checkedOut = await h.cli(['apply', jobId, '--into', 'main']);
    expect(checkedOut.exitCode).toBe(2);
    expect(checkedOut.stderr).toContain(`error: branch main is checked out at ${repo}`);
    expect(git('rev-parse', 'main')).toBe(base);

    await writeFile(
      path.join(dir, 'plain.yaml'),
      `name: plain
source: { type: jsonl, path: tasks.jsonl, key: id, limit: 1 }
prompt: "x"
agent: { type: command, command: ["true"] }
testUnits: 0
`,
    );
    const plain = await h.runJob(['plain.yaml'], { cwd: dir });
    const r = await h.cli(['apply', plain.jobId]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain(`error: job ${plain.jobId} has no isolation`);
  });
});
