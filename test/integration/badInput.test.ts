/**
 * Bad input, through the real CLI: a one-line cause and a hint, exit 2 for usage errors and 1
 * for run-time ones, no stack trace, and no job created.
 */
import { execFileSync } from 'node:child_process';
import { appendFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from '@jest/globals';
import sqlite from 'node-sqlite3-wasm';
import { useHarness, makeDocs } from '../support/harness.js';

describe('bad input', () => {
  const h = useHarness();
  let dir: string;
  let jobsBefore: number;
  let pipelinesBefore: number;

  beforeAll(async () => {
    dir = await makeDocs(2);
    [{ n: jobsBefore }] = await h.query<{ n: number }>('SELECT count(*)::int AS n FROM jobs');
    [{ n: pipelinesBefore }] = await h.query<{ n: number }>('SELECT count(*)::int AS n FROM pipelines');
  });

  const ok = ['--files', 'docs/*.md', '--prompt', 'Summarize {{relative_path}}.', '--rehearse'];

  async function expectError(
    args: string[],
    exitCode: 1 | 2,
    message: string | RegExp,
    env: Record<string, string> = {},
  ) {
    const r = await h.cli(args, { cwd: dir, env });
    expect(r.exitCode).toBe(exitCode);
    const [first, second] = r.stderr.trim().split('\n');
    expect(first).toMatch(/^error: /);
    expect(first).toMatch(message);
    expect(second).toMatch(/^hint: /);
    expect(r.stderr).not.toMatch(/^\s+at /m);
    expect(r.stdout).toBe('');
  }

  it('a spec file that does not exist', () =>
    expectError(['run', 'nope.yaml'], 2, 'spec file nope.yaml does not exist'));

  it('invalid YAML', async () => {
    await writeFile(path.join(dir, 'broken.yaml'), 'name: x\nsource: { type: files\nprompt: "y"\n');
    await expectError(['run', 'broken.yaml'], 2, /broken\.yaml is not valid YAML at line \d+, column \d+/);
  });

  it('an unknown field', async () => {
    await writeFile(
      path.join(dir, 'extra.yaml'),
      'source: { type: files, glob: "docs/*.md" }\nprompt: "Do {{file_name}}"\ncolour: blue\n',
    );
    await expectError(['run', 'extra.yaml'], 2, 'unknown field "colour"');
  });

  it('an empty glob', () => expectError(['run', '--files', '', '--prompt', 'x'], 2, 'source.glob: the glob is empty'));

  it('a glob matching nothing', () =>
    expectError(
      ['run', '--files', 'nothing/**/*.txt', '--prompt', 'x'],
      2,
      /no files match nothing\/\*\*\/\*\.txt under /,
    ));

  it('an unknown placeholder', () =>
    expectError(
      ['run', '--files', 'docs/*.md', '--prompt', 'Fix {{filename}}'],
      2,
      'unknown placeholder {{filename}} in the prompt',
    ));

  it('concurrency 0', () => expectError(['run', ...ok, '--concurrency', '0'], 2, /concurrency: .*\(got 0\)/));

  it('a missing claude binary', () =>
    expectError(
      ['run', ...ok, '--claude-bin', '/nonexistent/claude'],
      2,
      "the claude agent's program /nonexistent/claude was not found",
    ));

  it('a missing source file', () =>
    expectError(
      ['run', '--csv', 'nope.csv', '--prompt', 'x'],
      2,
      /^error: the CSV file \/.*\/nope\.csv does not exist$/,
    ));

  it('a CSV with a ragged row, naming its line', async () => {
    await writeFile(path.join(dir, 'ragged.csv'), 'sku,name\nA1,a\nA2\n');
    await expectError(
      ['run', '--csv', 'ragged.csv', '--prompt', '{{name}}'],
      2,
      'line 3 of ragged.csv has 1 field, but the header has 2',
    );
  });

  it('a CSV without a header row', async () => {
    await writeFile(path.join(dir, 'empty.csv'), '');
    await expectError(['run', '--csv', 'empty.csv', '--prompt', 'x'], 2, 'empty.csv is empty: it has no header row');
  });

  it('duplicate keys, naming both records', async () => {
    await writeFile(path.join(dir, 'dupes.csv'), 'sku,name\nA1,a\nB2,b\nA1,c\n');
    await expectError(
      ['run', '--csv', 'dupes.csv', '--key', 'sku', '--prompt', '{{name}}'],
      2,
      'two records have the key "A1": line 2 of dupes.csv and line 4 of dupes.csv',
    );
  });

  it('a record without the key field', async () => {
    await writeFile(path.join(dir, 'nokey.jsonl'), '{"id":1}\n{"title":"t"}\n');
    await expectError(
      ['run', '--jsonl', 'nokey.jsonl', '--key', 'id', '--prompt', 'x'],
      2,
      'the record at line 2 of nokey.jsonl has no value for the key field "id"',
    );
  });

  it('JSON that is not an array at the pointer, and a bad pointer', async () => {
    await writeFile(path.join(dir, 'obj.json'), '{"items":{"a":1}}');
    await expectError(
      ['run', '--json', 'obj.json', '--pointer', '/items', '--prompt', 'x'],
      2,
      'the value at pointer /items of obj.json is not an array',
    );
    await expectError(
      ['run', '--json', 'obj.json', '--pointer', 'items', '--prompt', 'x'],
      2,
      'the JSON pointer "items" must be empty or start with "/"',
    );
  });

  it('a malformed JSONL line, naming it', async () => {
    await writeFile(path.join(dir, 'bad.jsonl'), '{"id":1}\n{"id":\n');
    await expectError(
      ['run', '--jsonl', 'bad.jsonl', '--prompt', 'x'],
      2,
      /^error: line 2 of bad\.jsonl is not valid JSON: /,
    );
  });

  it('a query with no rows', async () => {
    const db = new sqlite.Database(path.join(dir, 'empty.db'));
    db.exec('CREATE TABLE t (id INTEGER)');
    db.close();
    await expectError(
      ['run', '--sql', 'SELECT id FROM t', '--sqlite', 'empty.db', '--prompt', 'x {{id}}'],
      2,
      'the query returned no rows from empty.db',
    );
  });

  it('a source command that fails, with its stderr', () =>
    expectError(
      ['run', '--lines-from', 'echo a; echo "fatal: not a git repository" >&2; exit 128', '--prompt', 'x'],
      2,
      /exited with code 128: fatal: not a git repository$/,
    ));

  it('a module that throws, or exports no function', async () => {
    await writeFile(path.join(dir, 'throws.mjs'), 'export default function* () { throw new Error("no API token"); }\n');
    await writeFile(path.join(dir, 'nofn.mjs'), 'export const rows = [];\n');
    await expectError(
      ['run', '--from-module', 'throws.mjs', '--prompt', 'x'],
      2,
      'the source module throws.mjs threw: no API token',
    );
    await expectError(
      ['run', '--from-module', 'nofn.mjs', '--prompt', 'x'],
      2,
      'the source module nofn.mjs exports no function named "default"',
    );
  });

  it('a record without a field the prompt uses, naming it and its line', async () => {
    await writeFile(path.join(dir, 'partial.jsonl'), '{"id":1,"title":"a"}\n{"id":2}\n');
    await expectError(
      ['run', '--jsonl', 'partial.jsonl', '--key', 'id', '--prompt', 'Fix {{title}}'],
      2,
      'the record at line 2 of partial.jsonl (key "2") has no field "title" for {{title}} in the prompt',
    );
  });

  it('an unknown agent type', async () => {
    await writeFile(
      path.join(dir, 'agent.yaml'),
      'source: { type: files, glob: "docs/*.md" }\nprompt: "x"\nagent: { type: gpt }\n',
    );
    await expectError(['run', 'agent.yaml'], 2, 'unknown agent type "gpt" (one of claude, command, codex)');
  });

  it('a command agent whose program does not exist', () =>
    expectError(
      ['run', ...ok.slice(0, 4), '--agent-command', 'fixer-that-does-not-exist {{_key}}'],
      2,
      "the command agent's program fixer-that-does-not-exist was not found",
    ));

  it('a YAML alias bomb', async () => {
    const levels = Array.from(
      { length: 10 },
      (_, i) => `l${i + 1}: &l${i + 1} [${Array(10).fill(`*l${i}`).join(', ')}]`,
    );
    await writeFile(path.join(dir, 'bomb.yaml'), `l0: &l0 "lol"\n${levels.join('\n')}\nprompt: x\n`);
    await expectError(['run', 'bomb.yaml'], 2, /^error: bomb\.yaml cannot be read: .*alias/i);
  });

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

  it('an output schema file that does not exist, is not JSON, or is not a JSON Schema of an object', async () => {
    await expectError(
      ['run', ...ok, '--output-schema', 'none.json'],
      2,
      /output\.schemaFile .*none\.json cannot be read \(ENOENT\)/,
    );
    await writeFile(path.join(dir, 'broken.json'), '{"type": "object",');
    await expectError(['run', ...ok, '--output-schema', 'broken.json'], 2, /broken\.json is not JSON or YAML/);
    await writeFile(path.join(dir, 'list.json'), '{"type": "array"}');
    await expectError(
      ['run', ...ok, '--output-schema', 'list.json'],
      2,
      /is not a usable JSON Schema: it must describe an object/,
    );
    await writeFile(path.join(dir, 'typo.json'), '{"type": "object", "properties": {"a": {"type": "strnig"}}}');
    await expectError(
      ['run', ...ok, '--output-schema', 'typo.json'],
      2,
      /is not a usable JSON Schema: schema is invalid: data\/properties\/a\/type/,
    );
  });

  it('a verify command that is not found, or uses a field the source lacks', async () => {
    await writeFile(
      path.join(dir, 'verify.yaml'),
      'source: { type: files, glob: "docs/*.md" }\nprompt: "Fix {{relative_path}}"\nagent: { rehearse: true }\nverify: { command: [no-such-check, "{{relative_path}}"] }\n',
    );
    await expectError(['run', 'verify.yaml'], 2, "the verify command's program no-such-check was not found");
    await writeFile(
      path.join(dir, 'verify-field.yaml'),
      'source: { type: files, glob: "docs/*.md" }\nprompt: "Fix {{relative_path}}"\nagent: { rehearse: true }\nverify: { command: [sh, "{{nope}}"] }\n',
    );
    await expectError(['run', 'verify-field.yaml'], 2, /unknown placeholder {{nope}} in verify\.command/);
  });

  it('a worktree job outside a git repository, or on a checkout with uncommitted changes', async () => {
    await expectError(
      ['run', ...ok, '--worktree'],
      2,
      /isolation: worktree needs a git repository, and .* is not in one/,
    );
    const git = (...args: string[]) => execFileSync('git', args, { cwd: dir, stdio: 'ignore' });
    git('init', '--quiet');
    git('add', 'docs');
    git('-c', 'user.name=Dev', '-c', 'user.email=dev@example.com', 'commit', '--quiet', '-m', 'docs');
    await appendFile(path.join(dir, 'docs', 'doc01.md'), 'unsaved work\n');
    await expectError(
      ['run', ...ok, '--worktree'],
      2,
      /has uncommitted changes \(docs\/doc01\.md\) that the units would not see: they start from HEAD/,
    );
    await rm(path.join(dir, '.git'), { recursive: true, force: true });
  });

  it('an aggregate prompt with a placeholder it does not have', async () => {
    await writeFile(
      path.join(dir, 'aggregate.yaml'),
      'source: { type: files, glob: "docs/*.md" }\nprompt: "Fix {{relative_path}}"\nagent: { rehearse: true }\naggregate: { prompt: "Sum up {{relative_path}}" }\n',
    );
    await expectError(['run', 'aggregate.yaml'], 2, /unknown placeholder {{relative_path}} in aggregate\.prompt/);
  });

  it('a pipeline with a cycle, or a stage using a field its upstream lacks', async () => {
    const stage = (name: string, needs: string, prompt = 'Do {{relative_path}}') =>
      `  - { name: ${name}, needs: [${needs}], source: { type: stage, from: ${needs} }, prompt: "${prompt}", agent: { rehearse: true } }\n`;
    await writeFile(path.join(dir, 'cycle.yaml'), `name: cyc\nstages:\n${stage('a', 'b')}${stage('b', 'a')}`);
    await expectError(['run', 'cycle.yaml'], 2, 'cycle.yaml: stage a is in a cycle: a → b → a');
    await writeFile(
      path.join(dir, 'fields.yaml'),
      `name: fields\nstages:\n  - { name: a, source: { type: files, glob: "docs/*.md" }, prompt: "Do {{relative_path}}", agent: { rehearse: true } }\n${stage('b', 'a', 'Use {{output.title}}')}`,
    );
    await expectError(
      ['run', 'fields.yaml'],
      2,
      'fields.yaml, stage b: unknown placeholder {{output.title}} in the prompt, which no upstream stage provides',
    );
  });

  it('created no job along the way', async () => {
    const [{ n }] = await h.query<{ n: number }>('SELECT count(*)::int AS n FROM jobs');
    expect(n).toBe(jobsBefore);
    const [{ n: pipelines }] = await h.query<{ n: number }>('SELECT count(*)::int AS n FROM pipelines');
    expect(pipelines).toBe(pipelinesBefore);
  });

  it('has --help on every command', async () => {
    const commands = [
      'run',
      'create',
      'approve',
      'reject',
      'pause',
      'resume',
      'cancel',
      'status',
      'list',
      'watch',
      'units',
      'show',
      'results',
      'apply',
      'report',
      'mcp',
      'dashboard',
      'up',
      'down',
      'worker',
    ];
    for (const command of commands) {
      const r = await h.cli([command, '--help']);
      expect(r.exitCode).toBe(0);
      expect(r.stdout).toContain(`Usage: agentic-batch ${command}`);
    }
  });
});
