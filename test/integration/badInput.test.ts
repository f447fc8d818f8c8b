/**
 * Bad input, through the real CLI: a one-line cause and a hint, exit 2 for usage errors and 1
 * for run-time ones, no stack trace, and no job created.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from '@jest/globals';
import { useHarness, makeDocs } from '../support/harness.js';

describe('bad input', () => {
  const h = useHarness();
  let dir: string;
  let jobsBefore: number;

  beforeAll(async () => {
    dir = await makeDocs(2);
    [{ n: jobsBefore }] = await h.query<{ n: number }>('SELECT count(*)::int AS n FROM jobs');
  });

  const ok = ['--files', 'docs/*.md', '--prompt', 'Summarize {{relative_path}}.', '--rehearse'];

  async function expectError(args: string[], exitCode: 1 | 2, message: string | RegExp, env: Record<string, string> = {}) {
    const r = await h.cli(args, { cwd: dir, env });
    expect(r.exitCode).toBe(exitCode);
    const [first, second] = r.stderr.trim().split('\n');
    expect(first).toMatch(/^error: /);
    expect(first).toMatch(message);
    expect(second).toMatch(/^hint: /);
    expect(r.stderr).not.toMatch(/^\s+at /m);
    expect(r.stdout).toBe('');
  }

  it('a spec file that does not exist', () => expectError(['run', 'nope.yaml'], 2, 'spec file nope.yaml does not exist'));

  it('invalid YAML', async () => {
    await writeFile(path.join(dir, 'broken.yaml'), 'name: x\nsource: { type: files\nprompt: "y"\n');
    await expectError(['run', 'broken.yaml'], 2, /broken\.yaml is not valid YAML at line \d+, column \d+/);
  });

  it('an unknown field', async () => {
    await writeFile(path.join(dir, 'extra.yaml'), 'source: { type: files, glob: "docs/*.md" }\nprompt: "Do {{file_name}}"\ncolour: blue\n');
    await expectError(['run', 'extra.yaml'], 2, 'unknown field "colour"');
  });

  it('an empty glob', () => expectError(['run', '--files', '', '--prompt', 'x'], 2, 'source.glob: the glob is empty'));

  it('a glob matching nothing', () =>
    expectError(['run', '--files', 'nothing/**/*.txt', '--prompt', 'x'], 2, /no files match nothing\/\*\*\/\*\.txt under /));

  it('an unknown placeholder', () =>
    expectError(['run', '--files', 'docs/*.md', '--prompt', 'Fix {{filename}}'], 2, 'unknown placeholder {{filename}} in the prompt'));

  it('concurrency 0', () => expectError(['run', ...ok, '--concurrency', '0'], 2, /concurrency: .*\(got 0\)/));

  it('a missing claude binary', () =>
    expectError(['run', ...ok, '--claude-bin', '/nonexistent/claude'], 1, 'the agent binary /nonexistent/claude was not found'));

  it('an unreachable TEMPORAL_ADDRESS', () =>
    expectError(['run', ...ok], 1, 'cannot reach Temporal at 127.0.0.1:1', { TEMPORAL_ADDRESS: '127.0.0.1:1' }));

  it('an unreachable DATABASE_URL', () =>
    expectError(['run', ...ok], 1, /cannot reach Postgres at postgres:\/\/x:\*\*\*@127\.0\.0\.1:1\/db/, {
      DATABASE_URL: 'postgres://x:secret@127.0.0.1:1/db',
    }));

  it('an unknown job id', () => expectError(['status', 'job-does-not-exist'], 2, 'no job job-does-not-exist'));

  it('an unknown command or option is a usage error', async () => {
    expect((await h.cli(['frobnicate'])).exitCode).toBe(2);
    expect((await h.cli(['run', '--frobnicate'])).exitCode).toBe(2);
  });

  it('created no job along the way', async () => {
    const [{ n }] = await h.query<{ n: number }>('SELECT count(*)::int AS n FROM jobs');
    expect(n).toBe(jobsBefore);
  });

  it('has --help on every command', async () => {
    const commands = ['run', 'create', 'approve', 'reject', 'pause', 'resume', 'cancel', 'status', 'list', 'watch', 'units', 'show', 'results', 'up', 'down', 'worker'];
    for (const command of commands) {
      const r = await h.cli([command, '--help']);
      expect(r.exitCode).toBe(0);
      expect(r.stdout).toContain(`Usage: agentic-batch ${command}`);
    }
  });
});
