/**
 * `apply JOB`: the succeeded units' branches of a worktree job merged, one by one and in unit
 * order, into one branch (default agentic-batch/<job>/all, made from the job's base). Units that
 * changed nothing are listed, conflicts reported by unit; `squash` makes the result one commit.
 */
import { UsageError, UserError } from '../errors.js';
import { runGit } from '../git/git.js';
import { BranchCheckedOutError, mergeBranches, type BranchToMerge, type MergeReport } from '../git/mergeBranches.js';
import { defaultBranchPrefix } from '../git/worktree.js';
import { storedSpec } from '../spec/stored.js';
import { streamResults } from '../store/results.js';
import type { Session } from './session.js';
import { requireJob } from './units.js';

export interface ApplyReport extends MergeReport {
  jobId: string;
  repo: string;
  squashed: boolean;
  /** Keys of succeeded units that changed nothing. */
  unchanged: string[];
}

export async function applyJob(
  session: Session,
  jobId: string,
  options: { into?: string; squash?: boolean } = {},
): Promise<ApplyReport> {
  const job = await requireJob(session, jobId);
  const { isolation } = storedSpec(job);
  if (!isolation) {
    throw new UsageError(
      `job ${jobId} has no isolation: its units worked in place, so there are no branches to apply`,
      'apply is for jobs whose spec has isolation: {type: worktree}',
    );
  }
  const into = options.into ?? `${isolation.branch ?? defaultBranchPrefix(jobId)}/all`;
  const valid = await runGit(isolation.repo, ['check-ref-format', '--branch', into]);
  if (valid.code !== 0) throw new UsageError(`--into ${JSON.stringify(into)} is not a valid branch name`);

  const branches: BranchToMerge[] = [];
  const unchanged: string[] = [];
  for await (const page of streamResults(session.db, jobId, 'succeeded')) {
    for (const { key, changes } of page) {
      if (!changes?.commit) unchanged.push(key);
      // The commit the unit recorded, not its branch: anyone (an agent of a later unit) may have moved that.
      else branches.push({ key, ref: changes.commit, branch: changes.branch });
    }
  }
  if (branches.length === 0 && unchanged.length === 0)
    throw new UserError(
      `job ${jobId} has no succeeded units yet`,
      `see its progress with \`agentic-batch status ${jobId}\``,
    );

  try {
    const report = await mergeBranches(isolation.repo, {
      into,
      base: isolation.baseCommit,
      branches,
      squash: options.squash === true,
      message: `agentic-batch: ${jobId} (${job.name}): ${branches.length} units`,
    });
    return { ...report, jobId, repo: isolation.repo, squashed: options.squash === true, unchanged };
  } catch (err) {
    if (err instanceof BranchCheckedOutError) {
      throw new UsageError(
        `${err.message}: applying would change the files there`,
        'apply --into a branch that is not checked out (the default makes a new one), or check out another branch there first',
      );
    }
    throw err;
  }
}
