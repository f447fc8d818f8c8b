/**
 * Merging units' branches into one branch, for `apply`: in a temporary worktree (the user's
 * checkout is never touched), one merge at a time; a merge that conflicts is aborted and
 * reported, the rest go on. The target branch moves once, at the end, and only if it still is
 * where it was: nothing is ever left half-merged.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { git, GitError, identityArgs, runGit } from './git.js';

export interface BranchToMerge {
  key: string;
  /** The commit the unit recorded: what it made, whatever its branch points to now. */
  ref: string;
  /** The unit's branch, for people (it may have moved since). */
  branch: string | null;
}

export interface MergeReport {
  into: string;
  /** The target branch did not exist: it was made from the job's base (when something merged). */
  created: boolean;
  merged: BranchToMerge[];
  conflicts: (BranchToMerge & { files: string[] })[];
  /** The target's commit after the merges (unchanged when nothing merged). */
  head: string;
}

/** The branch is checked out in a worktree: moving it would change files under someone. */
export class BranchCheckedOutError extends Error {
  constructor(
    readonly branch: string,
    readonly where: string,
  ) {
    super(`branch ${branch} is checked out at ${where}`);
    this.name = 'BranchCheckedOutError';
  }
}

export async function mergeBranches(
  repo: string,
  options: { into: string; base: string; branches: readonly BranchToMerge[]; squash: boolean; message: string },
): Promise<MergeReport> {
  const { into } = options;
  const target = `refs/heads/${into}`;
  const where = await checkedOutAt(repo, target);
  if (where) throw new BranchCheckedOutError(into, where);
  const existing = await runGit(repo, ['rev-parse', '--verify', '--quiet', `${target}^{commit}`]);
  const created = existing.code !== 0;
  const start = created ? options.base : existing.stdout.trim();
  const identity = await identityArgs(repo);

  const dir = await mkdtemp(path.join(os.tmpdir(), 'agentic-batch-apply-'));
  const merged: BranchToMerge[] = [];
  const conflicts: MergeReport['conflicts'] = [];
  try {
    await git(repo, ['worktree', 'add', '--quiet', '--detach', dir, start]);
    for (const branch of options.branches) {
      const merge = await runGit(dir, [
        ...identity,
        '-c',
        'commit.gpgsign=false',
        'merge',
        '--no-ff',
        '--no-verify',
        '--quiet',
        '-m',
        `agentic-batch: merge ${branch.key}`,
        branch.ref,
      ]);
      if (merge.code === 0) {
        merged.push(branch);
        continue;
      }
      const unmerged = await runGit(dir, ['diff', '--name-only', '--diff-filter=U']);
      const files = unmerged.stdout.split('\n').filter(Boolean);
      // Not a conflict (an unknown ref, a broken repository): stop, changing nothing.
      if (files.length === 0 && !/CONFLICT|conflict/.test(merge.stdout + merge.stderr))
        throw new GitError(['merge', branch.ref], merge.code, merge.stderr || merge.stdout);
      await git(dir, ['merge', '--abort']);
      conflicts.push({ ...branch, files });
    }
    let head = await git(dir, ['rev-parse', 'HEAD']);
    if (options.squash && merged.length > 0) {
      const tree = await git(dir, ['rev-parse', 'HEAD^{tree}']);
      head = await git(dir, [...identity, 'commit-tree', tree, '-p', start, '-m', options.message]);
    }
    if (head !== start) {
      // Only from where it was (or from nothing): a branch moved meanwhile is not overwritten.
      await git(repo, ['update-ref', '-m', 'agentic-batch apply', target, head, created ? '' : start]);
    }
    return { into, created: created && head !== start, merged, conflicts, head };
  } finally {
    await runGit(repo, ['worktree', 'remove', '--force', '--force', dir]);
    await rm(dir, { recursive: true, force: true });
    await runGit(repo, ['worktree', 'prune']);
  }
}

/** Where a branch is checked out (`git worktree list`), if anywhere. */
async function checkedOutAt(repo: string, ref: string): Promise<string | null> {
  const list = await git(repo, ['worktree', 'list', '--porcelain']);
  let worktree: string | null = null;
  for (const line of list.split('\n')) {
    if (line.startsWith('worktree ')) worktree = line.slice('worktree '.length);
    if (line === `branch ${ref}`) return worktree;
  }
  return null;
}
