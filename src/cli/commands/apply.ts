/** `apply`: merge a worktree job's unit branches into one branch. */
import type { Command } from 'commander';
import { applyJob, type ApplyReport } from '../../client/apply.js';
import { action } from '../action.js';
import { printJson, say } from '../output.js';
import { withSession } from '../withSession.js';

export function registerApplyCommand(program: Command): void {
  program
    .command('apply <job>')
    .description("merge the succeeded units' branches of a worktree job into one branch, unit by unit")
    .option('--into <branch>', "the branch to merge into (made from the job's base if new)", 'agentic-batch/JOB/all')
    .option('--squash', 'make the merged result one commit on the branch')
    .option('--json', 'print {"into","created","head","merged","conflicts","unchanged",…}')
    .addHelpText(
      'after',
      `
Merges happen in a temporary worktree: your checkout is never touched, and the branch moves once,
at the end. A unit whose branch conflicts with what was merged before it is left out and
reported with its files (merge it by hand, or re-run it); the others are merged.
Exit status: 0 when every branch merged, 1 when some conflicted, 2 on bad input.

Example:
  agentic-batch apply job-jsdoc-1a2b3c --into jsdoc --squash && git switch jsdoc`,
    )
    .action(
      action(async (jobId: string, opts: { into: string; squash?: boolean; json?: boolean }) => {
        const into = opts.into === 'agentic-batch/JOB/all' ? undefined : opts.into;
        const report = await withSession((s) => applyJob(s, jobId, { into, squash: opts.squash }));
        if (opts.json) printJson(report);
        else say(describe(report));
        return report.conflicts.length > 0 ? 1 : 0;
      }),
    );
}

function describe(r: ApplyReport): string {
  const lines = [];
  const moved = r.merged.length > 0;
  lines.push(
    moved
      ? `merged ${r.merged.length} unit${r.merged.length === 1 ? '' : 's'} of ${r.jobId} into ${r.into}` +
          `${r.created ? " (a new branch from the job's base)" : ''}${r.squashed ? ' as one commit' : ''}: now at ${r.head.slice(0, 7)}`
      : `nothing merged into ${r.into}`,
  );
  for (const c of r.conflicts)
    lines.push(
      `  conflict: ${c.key} (${c.branch ? `${c.branch}, ` : ''}${c.ref.slice(0, 7)}) in ${c.files.join(', ') || 'its changes'}: left out`,
    );
  if (r.unchanged.length > 0)
    lines.push(
      `  ${r.unchanged.length} unit${r.unchanged.length === 1 ? '' : 's'} changed nothing: ${r.unchanged.slice(0, 5).join(', ')}${r.unchanged.length > 5 ? ', …' : ''}`,
    );
  if (r.conflicts.length > 0)
    lines.push(
      `merge a conflicting branch by hand: git switch ${r.into} && git merge ${r.conflicts[0]!.ref.slice(0, 12)}`,
    );
  else if (moved) lines.push(`see it with: git -C ${r.repo} log --oneline ${r.into}`);
  return lines.join('\n');
}
