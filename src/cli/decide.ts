/** Deciding on a READY job's test results at the terminal: approve, leave it READY, or reject with a revision. */
import { createInterface } from 'node:readline/promises';
import { forecastOverBudget, type JobStatus, type RejectRequest } from '../domain/index.js';
import { say } from './output.js';
import { usd } from './render/format.js';

export type Decision = 'approve' | 'approveOverBudget' | 'leave' | RejectRequest;

export async function decide(status: JobStatus, autoApprove: boolean, jobId: string): Promise<Decision> {
  const failed = status.testResults.filter((r) => r.status !== 'succeeded');
  const remaining = status.counts.total - (status.testResults.length - failed.length);
  const overBudget = forecastOverBudget(status.forecast, status.budgetUsd);
  if (autoApprove) {
    if (failed.length === 0 && overBudget) {
      say(`not approving: the forecast exceeds the budget of ${usd(status.budgetUsd!)}.`);
      say(
        `the job is READY: approve it anyway with \`agentic-batch approve ${jobId} --over-budget\` (it pauses at the budget), or reject with a cheaper prompt`,
      );
      return 'leave';
    }
    if (failed.length === 0) return 'approve';
    say(`not approving: ${failed.length} test unit(s) failed (${failed.map((r) => r.error ?? r.status).join('; ')}).`);
    say(
      `the job is READY: fix and re-test with \`agentic-batch reject ${jobId} --feedback … --prompt …\`, or approve it anyway with \`agentic-batch approve ${jobId}\``,
    );
    return 'leave';
  }
  if (!process.stdin.isTTY) {
    say('stdin is not a terminal, so nobody can approve here; pass --yes to approve when the test units succeed.');
    say(
      `the job is READY: approve with \`agentic-batch approve ${jobId}\`, or cancel with \`agentic-batch cancel ${jobId}\``,
    );
    return 'leave';
  }
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    for (;;) {
      const answer = (await rl.question(`Approve and run the remaining ${remaining} units? [y/N/e] `))
        .trim()
        .toLowerCase();
      if ((answer === 'y' || answer === 'yes') && overBudget) {
        const again = await rl.question(
          `The forecast exceeds the budget of ${usd(status.budgetUsd!)}: the job will pause when it is spent. Approve anyway? [y/N] `,
        );
        if (/^y(es)?$/i.test(again.trim())) return 'approveOverBudget';
        continue;
      }
      if (answer === 'y' || answer === 'yes') return 'approve';
      if (answer === '' || answer === 'n' || answer === 'no') {
        say(`left READY. Approve later with \`agentic-batch approve ${jobId}\`, or \`agentic-batch cancel ${jobId}\`.`);
        return 'leave';
      }
      if (answer === 'e' || answer === 'edit') {
        const feedback = (await rl.question('What was wrong? (feedback, one line): ')).trim() || 'revised by the user';
        say("New prompt template: type it, then a line with a single '.' (an empty first line keeps the current one).");
        const lines: string[] = [];
        for (;;) {
          const line = await rl.question('');
          if (line === '.' || (lines.length === 0 && line === '')) break;
          lines.push(line);
        }
        return lines.length ? { feedback, prompt: lines.join('\n') } : { feedback };
      }
      say('answer y (approve), n (leave it READY) or e (give feedback and a revised prompt, then re-test)');
    }
  } finally {
    rl.close();
  }
}
