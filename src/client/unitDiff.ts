/** What a worktree unit changed, as a patch from its commit (the dashboard shows it on the unit's page). */
import { NotFoundError, UserError } from '../errors.js';
import { commitDiff } from '../git/commitDiff.js';
import { storedSpec } from '../spec/stored.js';
import { findUnit } from '../store/units.js';
import type { Session } from './session.js';
import { requireJob } from './units.js';

const MAX_DIFF_CHARS = 200_000;

export async function unitDiff(
  session: Session,
  jobId: string,
  unitRef: string,
): Promise<{ commit: string | null; diff: string; truncated: boolean }> {
  const job = await requireJob(session, jobId);
  const { isolation } = storedSpec(job);
  if (!isolation)
    throw new UserError(`job ${jobId} has no isolation: its units worked in place, without commits to show`);
  const unit = await findUnit(session.db, jobId, unitRef);
  if (!unit) throw new NotFoundError(`job ${jobId} has no unit ${unitRef}`, 'list them with `agentic-batch units JOB`');
  const commit = unit.changes?.commit ?? null;
  if (!commit) return { commit, diff: '', truncated: false };
  try {
    return { commit, ...(await commitDiff(isolation.repo, commit, MAX_DIFF_CHARS)) };
  } catch (err) {
    throw new UserError(
      `cannot read commit ${commit.slice(0, 12)} of unit ${unit.key} in ${isolation.repo}: ${(err as Error).message}`,
      'was the branch deleted, or the repository moved?',
    );
  }
}
