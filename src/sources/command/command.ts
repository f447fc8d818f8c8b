/**
 * The `command` source: each non-empty line a shell command prints is a unit, payload
 * `{ line, index }`, keyed by the line. Read as the command runs; a non-zero exit is an error
 * with the tail of its stderr, and stopping early (a limit) stops the command.
 */
import path from 'node:path';
import { createInterface } from 'node:readline';
import { execa } from 'execa';
import { z } from 'zod';
import { commonSourceFields, SourceError, type SourceKind } from '../source.js';

export const commandSourceSchema = z.strictObject({
  type: z.literal('command'),
  command: z.string().min(1, 'the command is empty'),
  cwd: z.string().min(1).default('.'),
  ...commonSourceFields,
});
export type CommandSourceSpec = z.output<typeof commandSourceSchema>;

const STDERR_TAIL_CHARS = 2000;

export const commandSource: SourceKind<CommandSourceSpec> = {
  type: 'command',
  schema: commandSourceSchema,
  fields: ['line', 'index'],

  resolve: (spec, baseDir) => ({ ...spec, cwd: path.resolve(baseDir, spec.cwd) }),

  async *read(spec) {
    const child = execa(spec.command, {
      shell: true,
      cwd: spec.cwd,
      stdin: 'ignore',
      buffer: false,
      reject: false,
      detached: true,
    });
    let stderr = '';
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => (stderr = (stderr + chunk).slice(-STDERR_TAIL_CHARS)));
    const lines = createInterface({ input: child.stdout!, crlfDelay: Infinity });
    let finished = false;
    try {
      let number = 0;
      let index = 0;
      for await (const line of lines) {
        number += 1;
        if (!line.trim()) continue;
        index += 1;
        yield {
          naturalKey: line,
          origin: `line ${number} of the output of \`${spec.command}\``,
          payload: { line, index },
        };
      }
      const result = await child;
      finished = true;
      if (result.failed) {
        const how =
          result.exitCode !== undefined
            ? `exited with code ${result.exitCode}`
            : `failed (${result.signal ?? result.code ?? 'no exit code'})`;
        const tail = stderr.trim().split('\n').slice(-3).join(' | ');
        throw new SourceError(
          `the source command \`${spec.command}\` ${how}${tail ? `: ${tail}` : ''}`,
          'run it in a shell to see what it prints; the units are the lines it writes to stdout',
        );
      }
    } finally {
      lines.close();
      // Stopped early (a limit, or a failure downstream): the command and its children go too.
      if (!finished && child.pid !== undefined) {
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          // already gone
        }
        await child.catch(() => undefined);
      }
    }
  },

  empty: (spec) =>
    new SourceError(
      `the source command \`${spec.command}\` printed no lines`,
      'each non-empty line it prints to stdout becomes a unit',
    ),

  workingDirectory: (spec) => spec.cwd,

  describe: (spec) => `lines printed by \`${spec.command}\``,
};
