/** What a unit of a worktree job changed: its branch and commit, or that it changed nothing. */
export interface UnitChanges {
  /** The unit's branch; null when it changed nothing (the branch is then deleted). */
  branch: string | null;
  /** The commit on it, from the job's base; null when nothing changed. */
  commit: string | null;
  filesChanged: number;
  insertions: number;
  deletions: number;
}

/** `3 files, +40 -2 on agentic-batch/job-x/3-src-a-ts (1a2b3c4)` or `no changes`. */
export function describeChanges(changes: UnitChanges): string {
  if (!changes.commit) return 'no changes';
  const files = `${changes.filesChanged} file${changes.filesChanged === 1 ? '' : 's'}`;
  return `${files}, +${changes.insertions} -${changes.deletions} on ${changes.branch} (${changes.commit.slice(0, 7)})`;
}
