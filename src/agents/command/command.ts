/**
 * The `command` adapter: any program is a batch agent (aider, llm, a Python script, an in-house
 * tool). Its arguments are templates rendered per unit, with no shell unless the user writes
 * one; with `stdin: prompt` the rendered prompt is written to its stdin. Exit 0 is success with
 * stdout (up to 1 MiB) as the result; any other exit fails, retryably unless its code is listed.
 * Every stdout and stderr line is kept as a conversation event.
 */
import path from 'node:path';
import { z } from 'zod';
import { AGENT_ERROR_TYPES } from '../../domain/index.js';
import { emptyReport, failure, processFailure, runPolicyFields, type AgentEvent, type AgentKind } from '../agent.js';

export const commandAgentSchema = z.strictObject({
  type: z.literal('command'),
  ...runPolicyFields,
  /** The program and its arguments; each argument may use {{placeholders}}. */
  command: z.array(z.string()).min(1, 'give the program and its arguments, e.g. ["python3", "fix.py", "{{_key}}"]'),
  stdin: z.enum(['prompt', 'none']).default('none'),
  nonRetryableExitCodes: z.array(z.number().int().min(1).max(255)).default([]),
});
export type CommandAgentSpec = z.output<typeof commandAgentSchema>;

const INSTALL_HINT = 'agent.command[0] (or agent.bin) must be a program on PATH or the path of an executable';

/** What is kept of stdout as the unit's result. */
export const MAX_RESULT_BYTES = 1024 * 1024;

export const commandAgent: AgentKind<CommandAgentSpec> = {
  type: 'command',
  schema: commandAgentSchema,
  installHint: INSTALL_HINT,

  program: (spec) => spec.bin ?? spec.command[0]!,

  templates: (spec) =>
    spec.command.slice(1).map((template, i) => ({ what: `argument ${i + 1} of agent.command`, template })),

  resolve: (spec, baseDir) => {
    const program = spec.command[0]!;
    // A relative path names a file next to the spec; a bare name is looked up on PATH.
    return program.includes('/')
      ? { ...spec, command: [path.resolve(baseDir, program), ...spec.command.slice(1)] }
      : spec;
  },

  start(spec, ctx, env) {
    let stdout = '';
    let bytes = 0;
    const keep = (lines: readonly string[]): void => {
      if (bytes >= MAX_RESULT_BYTES) return;
      const text = `${lines.join('\n')}\n`;
      bytes += Buffer.byteLength(text);
      stdout += text;
      // Cut at the limit without splitting a character.
      if (bytes > MAX_RESULT_BYTES)
        stdout = Buffer.from(stdout)
          .subarray(0, MAX_RESULT_BYTES)
          .toString('utf8')
          .replace(/\uFFFD$/, '');
    };
    const events = (type: 'stdout' | 'stderr', lines: readonly string[]): AgentEvent[] =>
      lines.map((text) => ({ type, data: { text } }));
    return {
      invocation: {
        bin: commandAgent.program(spec, env),
        args: spec.command.slice(1).map(ctx.render),
        env: spec.env,
        stdin: spec.stdin === 'prompt' ? ctx.prompt : null,
      },
      parser: {
        stdout(lines) {
          keep(lines);
          return events('stdout', lines);
        },
        stderr: (lines) => events('stderr', lines),
        finished: () => false,
        sessionId: () => null,
        verdict(facts) {
          const report = {
            ...emptyReport(facts),
            result: stdout.replace(/\n$/, ''),
            isError: facts.exitCode !== 0,
            durationMs: null,
          };
          const common = processFailure(facts, INSTALL_HINT);
          if (common) return { ...report, failure: common };
          if (facts.exitCode === 0) return { ...report, failure: null };
          const how = facts.signal ? `was killed by ${facts.signal}` : `exited with code ${facts.exitCode}`;
          const stderr = facts.stderrTail.trim().split('\n').slice(-3).join(' | ');
          const message = `${path.basename(facts.bin)} ${how}${stderr ? `: ${stderr}` : ''}`;
          if (facts.exitCode !== null && spec.nonRetryableExitCodes.includes(facts.exitCode)) {
            return { ...report, failure: failure(AGENT_ERROR_TYPES.exitNonRetryable, message) };
          }
          return { ...report, failure: failure(AGENT_ERROR_TYPES.failed, message) };
        },
      },
    };
  },
};
