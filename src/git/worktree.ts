/**
 * A unit's own git worktree and branch (spec `isolation: {type: worktree}`): created from the
 * job's base commit before its agent runs, committed after it succeeded (and passed its check),
 * then removed; the branch stays for `apply`. Worktrees live outside the repository, in the
 * worker's private temp directory (privateTemp.ts): the user's checkout is never touched, and
 * agents guard paths under `.git`. A crashed attempt's worktree is found by its branch (git
 * keeps the list) and cleared by the next attempt, on whichever worker.
 */
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import type { UnitChanges } from '../domain/index.js';
import { privateTempRoot } from '../privateTemp.js';
import { git, identityArgs, runGit } from './git.js';

/** The subject of a unit's commit; also how a branch is known to be the job's own. */
export function commitSubject(jobId: string, key: string): string {
  return `agentic-batch: ${jobId} ${key}`;
}

/** The branches' prefix when the spec gives none. */
export function defaultBranchPrefix(jobId: string): string {
  return `agentic-batch/${jobId}`;
}

/** `PREFIX/3-src-app-ts`: the unit id keeps two keys with the same slug apart, and sorts branches in unit order. */
export function unitBranch(prefix: string, unitId: number, key: string): string {
  const slug = key
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/\.{2,}/g, '.')
    .replace(/^[-.]+|[-.]+$/g, '')
    .slice(0, 60)
    .replace(/(\.lock)?[-.]*$/, '');
  return `${prefix}/${unitId}${slug ? `-${slug}` : ''}`;
}

export function unitWorktreeDir(jobId: string, unitId: number): string {
  return path.join(privateTempRoot(), 'worktrees', jobId, String(unitId));
}

/** A branch exists that this job did not make: running the unit would overwrite someone's work. */
export class BranchTakenError extends Error {
  constructor(readonly branch: string) {
    super(
      `branch ${branch} already exists with commits this job did not make; ` +
        'delete or rename it, or give the job another isolation.branch prefix',
    );
    this.name = 'BranchTakenError';
  }
}

export interface UnitWorktree {
  repo: string;
  dir: string;
  branch: string;
  baseCommit: string;
}

/**
 * A fresh worktree at the base commit on the unit's branch, clearing what an earlier attempt
 * left (its worktree, its branch's commit). Throws BranchTakenError for a branch not the job's.
 */
export async function openUnitWorktree(w: UnitWorktree, jobId: string): Promise<void> {
  // An earlier attempt's worktree, on another worker or before a restart; one that is not the
  // engine's (the user checked the branch out) is never touched: `worktree add` then says where.
  const earlier = await worktreeOf(w.repo, w.branch);
  if (earlier && earlier !== w.dir && isUnitWorktreePath(earlier, jobId, w.dir)) await removeWorktree(w.repo, earlier);
  await removeWorktree(w.repo, w.dir);
  const tip = await runGit(w.repo, ['rev-parse', '--verify', '--quiet', `refs/heads/${w.branch}^{commit}`]);
  if (tip.code === 0 && tip.stdout.trim() !== w.baseCommit) {
    const subject = await git(w.repo, ['log', '-1', '--format=%s', tip.stdout.trim()]);
    if (!subject.startsWith(`agentic-batch: ${jobId} `)) throw new BranchTakenError(w.branch);
  }
  await git(w.repo, ['worktree', 'add', '--quiet', '-B', w.branch, w.dir, w.baseCommit]);
}

/** Commits everything the agent changed (ignored files aside) and counts it; nothing changed: no commit. */
export async function commitUnitWorktree(w: UnitWorktree, subject: string): Promise<UnitChanges> {
  await git(w.dir, ['add', '--all']);
  const staged = await runGit(w.dir, ['diff', '--cached', '--quiet']);
  if (staged.code === 0) return { branch: null, commit: null, filesChanged: 0, insertions: 0, deletions: 0 };
  // The check is the job's verify step: the repository's hooks do not run, and nothing is signed.
  await git(w.dir, [
    ...(await identityArgs(w.repo)),
    '-c',
    'commit.gpgsign=false',
    'commit',
    '--quiet',
    '--no-verify',
    '-m',
    subject,
  ]);
  const commit = await git(w.dir, ['rev-parse', 'HEAD']);
  const numstat = await git(w.dir, ['diff', '--numstat', w.baseCommit, commit]);
  const lines = numstat ? numstat.split('\n') : [];
  // Binary files count as changed with no lines ("-\t-\tpath").
  const sum = (column: number) => lines.reduce((n, line) => n + (Number(line.split('\t')[column]) || 0), 0);
  return { branch: w.branch, commit, filesChanged: lines.length, insertions: sum(0), deletions: sum(1) };
}

/** Removes the unit's worktree; its branch too, unless it holds the unit's changes. */
export async function closeUnitWorktree(w: UnitWorktree, keepBranch: boolean): Promise<void> {
  await removeWorktree(w.repo, w.dir);
  if (!keepBranch) await runGit(w.repo, ['branch', '--quiet', '-D', w.branch]);
}

/** A path of the engine's own layout for this unit: `…/agentic-batch-XXXXXX/worktrees/<job>/<unit>`. */
export function isUnitWorktreePath(dir: string, jobId: string, ours: string): boolean {
  const tail = path.join('worktrees', jobId, path.basename(ours));
  return dir.endsWith(`${path.sep}${tail}`) && /(^|\/)agentic-batch-\w{6}$/.test(dir.slice(0, -tail.length - 1));
}

/** Where git says the branch is checked out, if anywhere (an earlier attempt's worktree). */
async function worktreeOf(repo: string, branch: string): Promise<string | null> {
  const list = await runGit(repo, ['worktree', 'list', '--porcelain']);
  let worktree: string | null = null;
  for (const line of list.stdout.split('\n')) {
    if (line.startsWith('worktree ')) worktree = line.slice('worktree '.length);
    if (line === `branch refs/heads/${branch}`) return worktree;
  }
  return null;
}

/** The worktree gone, and git's record of it: one git call when it is there, a prune when it was lost. */
async function removeWorktree(repo: string, dir: string): Promise<void> {
  if (existsSync(dir) && (await runGit(repo, ['worktree', 'remove', '--force', '--force', dir])).code === 0) return;
  await rm(dir, { recursive: true, force: true });
  // A worktree whose directory is gone (a crashed worker, a cleared temp dir) is forgotten.
  await runGit(repo, ['worktree', 'prune']);
}
