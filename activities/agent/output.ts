/** A unit's structured output, checked against the spec's schema once the agent has answered. */
import type { AttemptReport } from '../../src/domain/index.js';
import { outputProblem, type OutputSchema } from '../../src/spec/outputSchema.js';

/**
 * The output and why it does not fit, if it does not: the agent's own (claude's
 * structured_output), else its result read as JSON (the command agent's stdout).
 */
export function checkOutput(schema: OutputSchema, report: AttemptReport): { output: unknown; problem: string | null } {
  let output = report.output;
  if (output === undefined) {
    try {
      output = JSON.parse(report.result ?? '');
    } catch (err) {
      return { output: null, problem: `the agent's result is not JSON (${(err as Error).message})` };
    }
  }
  if (output === null) return { output, problem: 'the agent gave no structured output' };
  const problem = outputProblem(schema, output);
  return { output, problem: problem && `the output does not fit the schema: ${problem}` };
}
