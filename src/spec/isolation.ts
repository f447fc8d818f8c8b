/**
 * `isolation: {type: worktree}` resolved when a job is created: the repository (the one holding
 * the agent's working directory, unless given), the commit `base` names now (every unit starts
 * from the same commit, whatever the checkout does later) and the branch prefix. A checkout with
 * uncommitted changes is refused when the base is HEAD: the units would not see them.
 */
import { realpathSync } from 'node:fs';
import path from 'node:path';
import { UsageError } from '../errors.js';
import { gitSync, GitError } from '../git/git.js';

export interface IsolationSpec {
  type: 'worktree';
  repo?: string;
  base: string;
  branch?: string;
}

export interface ResolvedIsolation extends IsolationSpec {
  /** The repository's top directory. */
  repo: string;
  /** The commit `base` named when the job was created. */
  baseCommit: string;
}

export function resolveIsolation(
  isolation: IsolationSpec,
  agentCwd: string,
  baseDir: string,
  origin: string,
): ResolvedIsolation {
  const from = isolation.repo ? path.resolve(baseDir, isolation.repo) : realDir(agentCwd);
  let repo: string;
  try {
    repo = gitSync(from, ['rev-parse', '--show-toplevel']);
  } catch (err) {
    throw new UsageError(
      `${origin}: isolation: worktree needs a git repository, and ${from} is not in one (${reason(err)})`,
      isolation.repo
        ? 'point isolation.repo at a git checkout'
        : 'run the job from a git checkout (or set agent.cwd / isolation.repo to one); `git init` makes one',
    );
  }
  if (path.relative(repo, realDir(agentCwd)).startsWith('..')) {
    throw new UsageError(
      `${origin}: the agent's working directory ${agentCwd} is outside the repository ${repo}`,
      "set agent.cwd to a folder inside isolation.repo: each unit's agent works in its own worktree of it",
    );
  }
  let baseCommit: string;
  try {
    baseCommit = gitSync(repo, ['rev-parse', '--verify', '--quiet', `${isolation.base}^{commit}`]);
  } catch {
    throw new UsageError(
      `${origin}: isolation.base ${JSON.stringify(isolation.base)} is not a commit of ${repo}`,
      isolation.base === 'HEAD'
        ? 'the repository has no commit yet: commit something first'
        : 'name a branch, tag or commit that exists (git log shows them)',
    );
  }
  if (isolation.base === 'HEAD') {
    // Tracked files changed from HEAD, staged or not (untracked files are the user's own business).
    const dirty = gitSync(repo, ['diff', '--name-only', 'HEAD']);
    if (dirty) {
      const files = dirty.split('\n');
      throw new UsageError(
        `${origin}: ${repo} has uncommitted changes (${files.slice(0, 3).join(', ')}${files.length > 3 ? ', …' : ''}) that the units would not see: they start from HEAD (${baseCommit.slice(0, 7)})`,
        'commit or stash them first, or set isolation.base to the commit the units should start from',
      );
    }
  }
  if (isolation.branch) {
    try {
      gitSync(repo, ['check-ref-format', '--branch', `${isolation.branch}/1-x`]);
    } catch {
      throw new UsageError(
        `${origin}: isolation.branch ${JSON.stringify(isolation.branch)} is not a usable branch prefix`,
        'use letters, digits, / . _ - (e.g. fix/docs); each unit gets PREFIX/<id>-<key>',
      );
    }
  }
  return { ...isolation, repo, baseCommit };
}

/** The directory with its symlinks resolved, or as given when it cannot be. */
export function realDir(dir: string): string {
  try {
    return realpathSync(dir);
  } catch {
    return dir;
  }
}

function reason(err: unknown): string {
  return err instanceof GitError ? err.stderr.split('\n')[0]!.replace(/^fatal: /, '') : (err as Error).message;
}
