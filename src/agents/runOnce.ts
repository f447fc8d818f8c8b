/**
 * One agent run to its end, for the runs that are not a unit's attempt (a job's aggregate step,
 * the prompt synthesizer): start the adapter's program, feed its parser, judge the outcome.
 */
import { processBounds, processFacts, type AgentEvent, type AttemptContext, type AttemptVerdict } from './agent.js';
import { attemptEnv } from './agentEnv.js';
import { agentKind, type AgentSpec } from './index.js';
import { runAgentProcess, type AgentProcessOutcome } from './process.js';

export async function runAgentOnce(
  agent: AgentSpec,
  ctx: AttemptContext,
  options: {
    cwd: string;
    signal: AbortSignal;
    env?: NodeJS.ProcessEnv;
    /** The job's own secret variables, kept from the agent (agentEnv.ts). */
    jobSecrets?: readonly string[];
    onEvents?: (events: AgentEvent[]) => void;
  },
): Promise<{ verdict: AttemptVerdict; outcome: AgentProcessOutcome }> {
  const { invocation, parser } = agentKind(agent).start(agent, ctx, options.env ?? process.env);
  const env = attemptEnv(agent, options.jobSecrets ?? [], process.env);
  const outcome = await runAgentProcess({
    ...invocation,
    env: { ...env.env, ...invocation.env },
    unsetEnv: env.unset,
    cwd: options.cwd,
    signal: options.signal,
    ...processBounds(agent),
    onStdout: async (lines) => {
      // The parser reads every line, whether or not anyone listens to its events.
      const events = parser.stdout(lines);
      options.onEvents?.(events);
      return parser.finished();
    },
    onStderr:
      parser.stderr &&
      ((lines) => {
        const events = parser.stderr!(lines);
        options.onEvents?.(events);
      }),
  });
  const verdict = parser.verdict(processFacts(outcome, invocation.bin, agent));
  return { verdict, outcome };
}
