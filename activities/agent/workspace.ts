/**
 * Where a unit's agent works: the job's directory, or with `isolation: worktree` the unit's own
 * git worktree, its paths into the repository mapped there. Git trouble is a retryable failure of
 * the attempt; a branch the job did not make fails the unit for good.
 */
import { realpathSync } from 'node:fs';
import path from 'node:path';
import { AGENT_ERROR_TYPES, type UnitChanges, type UnitPayload } from '../../src/domain/index.js';
import {
  BranchTakenError,
  closeUnitWorktree,
  commitUnitWorktree,
  defaultBranchPrefix,
  openUnitWorktree,
  unitBranch,
  unitWorktreeDir,
  type UnitWorktree,
} from '../../src/git/worktree.js';
import type { ResolvedIsolation } from '../../src/spec/isolation.js';
import type { UnitRow } from '../../src/store/units.js';
import { failed } from './results.js';
import { AttemptStop } from './stop.js';

export { closeUnitWorktree, type UnitWorktree };

/** The unit's worktree: where it is, its branch, its base. */
export function unitWorktree(isolation: ResolvedIsolation, jobId: string, unit: UnitRow): UnitWorktree {
  return {
    repo: isolation.repo,
    dir: unitWorktreeDir(jobId, unit.unitId),
    branch: unitBranch(isolation.branch ?? defaultBranchPrefix(jobId), unit.unitId, unit.key),
    baseCommit: isolation.baseCommit,
  };
}

/** A path in the repository, as the same path in the unit's worktree; any other path as it is. */
export function pathInWorktree(worktree: UnitWorktree, p: string): string {
  const relative = path.relative(worktree.repo, realPath(p));
  return relative.startsWith('..') || path.isAbsolute(relative) ? p : path.join(worktree.dir, relative);
}

function realPath(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return p;
  }
}

/** The record with its top-level absolute paths mapped (a files unit's file_path). */
export function mapPaths(payload: UnitPayload, map: (p: string) => string): UnitPayload {
  return Object.fromEntries(
    Object.entries(payload).map(([k, v]) => [k, typeof v === 'string' && path.isAbsolute(v) ? map(v) : v]),
  );
}

/** A fresh worktree for the unit. */
export async function openWorktree(worktree: UnitWorktree, jobId: string): Promise<void> {
  try {
    await openUnitWorktree(worktree, jobId);
  } catch (err) {
    if (err instanceof BranchTakenError)
      throw new AttemptStop(failed(AGENT_ERROR_TYPES.branchTaken, err.message, false));
    throw new AttemptStop(
      failed(AGENT_ERROR_TYPES.worktreeFailed, `could not make the unit's worktree: ${(err as Error).message}`, true),
    );
  }
}

/** Commits the unit's changes and removes its worktree (keeping the branch if it changed something). */
export async function commitWorktree(worktree: UnitWorktree, subject: string): Promise<UnitChanges> {
  try {
    const changes = await commitUnitWorktree(worktree, subject);
    await closeUnitWorktree(worktree, changes.commit !== null);
    return changes;
  } catch (err) {
    throw new AttemptStop(
      failed(AGENT_ERROR_TYPES.worktreeFailed, `could not commit the unit's changes: ${(err as Error).message}`, true),
    );
  }
}
