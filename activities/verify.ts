/**
 * A unit's verify step: its check command, run in the unit's working directory after the agent
 * succeeded, and the prompt that asks the agent to repair what the check found.
 */
import { runAgentProcess } from '../src/agents/index.js';
import { checkEnding, type VerifyRun } from '../src/domain/index.js';

/** What is kept of a check's output: its end, where test runners put the failures. */
const OUTPUT_TAIL_CHARS = 4000;
/** What the repair prompt quotes of it. */
const REPAIR_TAIL_CHARS = 2000;
const HEARTBEAT_EVERY_MS = 5000;

/** Runs the check; exit code null means it could not run or outlived `timeoutMs`. */
export async function runCheck(
  command: readonly string[],
  options: {
    cwd: string;
    /** As the agent's (agentEnv.ts): the worker's minus the engine's secrets, plus the spec's. */
    env: { env: Record<string, string>; unset: string[] };
    timeoutMs: number;
    signal: AbortSignal;
    heartbeat: () => void;
  },
): Promise<VerifyRun> {
  const at = new Date().toISOString();
  let output = '';
  const keep = (lines: string[]): void => {
    output = `${output}${lines.join('\n')}\n`.slice(-OUTPUT_TAIL_CHARS);
  };
  const beat = setInterval(options.heartbeat, HEARTBEAT_EVERY_MS);
  try {
    const timeout = AbortSignal.timeout(options.timeoutMs);
    const ran = await runAgentProcess({
      bin: command[0]!,
      args: command.slice(1),
      cwd: options.cwd,
      env: options.env.env,
      unsetEnv: options.env.unset,
      stdin: null,
      signal: AbortSignal.any([options.signal, timeout]),
      idleTimeoutMs: options.timeoutMs,
      onStdout: async (lines) => {
        keep(lines);
        return false;
      },
      onStderr: keep,
    });
    if (options.signal.aborted) throw options.signal.reason;
    const why = ran.spawnError
      ? `could not run ${command[0]}: ${ran.spawnError.message}\n`
      : ran.killedBy
        ? `stopped after ${options.timeoutMs / 1000}s\n`
        : '';
    return {
      exitCode: ran.spawnError || ran.killedBy ? null : ran.exitCode,
      durationMs: Math.round(ran.durationMs),
      outputTail: `${output}${why}`.slice(-OUTPUT_TAIL_CHARS),
      at,
    };
  } finally {
    clearInterval(beat);
  }
}

/** How a failed check reads in errors: the command and how it ended. */
export function describeCheck(shown: string, run: VerifyRun): string {
  return `the check \`${shown}\` ${checkEnding(run)}`;
}

/** The prompt that continues the agent's session after a failed check. */
export function repairPrompt(shown: string, run: VerifyRun): string {
  const tail = run.outputTail.slice(-REPAIR_TAIL_CHARS).trimEnd();
  return `${describeCheck(shown, run)}:\n\n${tail || '(it printed nothing)'}\n\nFix it, so that the check passes.`;
}
