import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import { jsonFlag, specFromInputs as specAndRead, type JsonFlag, type SpecFlags } from '../../src/cli/specFromFlags.js';
import { UsageError } from '../../src/errors.js';
import { buildSpec, readSpecFile } from '../../src/spec/loadSpec.js';
import type { JobSpec } from '../../src/spec/schema.js';

let tmp: string;

const specFromInputs = async (file: string | undefined, flags: SpecFlags): Promise<JobSpec> =>
  (await specAndRead(file, flags)).spec;

/** The spec's source, which these tests expect to be files. */
function files(spec: JobSpec) {
  if (spec.source.type !== 'files') throw new Error(`expected a files source, got ${spec.source.type}`);
  return spec.source;
}

/** The spec's agent, which these tests expect to be claude. */
function claude(spec: JobSpec) {
  if (spec.agent.type !== 'claude') throw new Error(`expected the claude agent, got ${spec.agent.type}`);
  return spec.agent;
}

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'agentic-batch-spec-'));
});

afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

let counter = 0;
/** Write a spec file in its own sub-directory of the temp dir and return its path. */
async function specFile(yaml: string): Promise<string> {
  const dir = path.join(tmp, `spec-${++counter}`);
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, 'job.yaml');
  await writeFile(file, yaml);
  return file;
}

const MINIMAL = `name: docs
source:
  type: files
  glob: "docs/**/*.md"
prompt: "Summarise {{relative_path}}"
`;

/** Await a promise (or run a function) that must fail with a UsageError; return the error. */
async function usageError(work: Promise<unknown> | (() => unknown)): Promise<UsageError> {
  try {
    await (typeof work === 'function' ? work() : work);
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    expect((err as UsageError).exitCode).toBe(2);
    return err as UsageError;
  }
  throw new Error('expected a UsageError, but nothing was thrown');
}

function raw(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { name: 'docs', source: { type: 'files', glob: '*.md' }, prompt: 'Summarise {{file_path}}', ...overrides };
}

describe('readSpecFile + buildSpec', () => {
  it('fills in the defaults', async () => {
    const file = await specFile(MINIMAL);
    const { raw: doc, baseDir } = await readSpecFile(file);
    const spec = buildSpec(doc, baseDir, file);
    expect(spec.concurrency).toBe(4);
    expect(spec.retries).toBe(3);
    expect(spec.testUnits).toBe(1);
    expect(spec.agent.timeoutSeconds).toBe(600);
    expect(spec.agent.type).toBe('claude');
    expect(files(spec).exclude).toEqual([]);
    expect(spec.prompt).toBe('Summarise {{relative_path}}');
  });

  it("resolves relative source.cwd and agent.addDirs against the spec file's directory", async () => {
    const file = await specFile(`name: docs
source:
  type: files
  glob: "*.md"
  cwd: ../content
prompt: "Summarise {{file_path}}"
agent:
  addDirs: [shared, /abs/dir]
  cwd: work
`);
    const dir = path.dirname(file);
    const { raw: doc, baseDir } = await readSpecFile(file);
    expect(baseDir).toBe(dir);
    const spec = buildSpec(doc, baseDir, file);
    expect(files(spec).cwd).toBe(path.resolve(dir, '../content'));
    expect(claude(spec).addDirs).toEqual([path.join(dir, 'shared'), '/abs/dir']);
    expect(spec.agent.cwd).toBe(path.join(dir, 'work'));
  });

  it("defaults source.cwd to the spec file's directory, not the process's", async () => {
    const file = await specFile(MINIMAL);
    const { raw: doc, baseDir } = await readSpecFile(file);
    expect(files(buildSpec(doc, baseDir, file)).cwd).toBe(path.dirname(file));
    expect(path.dirname(file)).not.toBe(process.cwd());
  });

  it('keeps addDirs: unit as is', () => {
    const spec = buildSpec(raw({ agent: { addDirs: 'unit' } }), '/base', 'test');
    expect(claude(spec).addDirs).toBe('unit');
  });

  it('rejects a spec file that does not exist, naming it', async () => {
    const missing = path.join(tmp, 'nope', 'missing.yaml');
    const err = await usageError(readSpecFile(missing));
    expect(err.message).toContain(missing);
    expect(err.message).toMatch(/does not exist/);
  });

  it('rejects invalid YAML with the line number', async () => {
    const file = await specFile('name: docs\nsource:\n  type: files\n  glob: "unclosed\nprompt: x\n');
    const err = await usageError(readSpecFile(file));
    expect(err.message).toContain(file);
    expect(err.message).toMatch(/not valid YAML at line \d+/);
    const bad = await specFile('name: docs\nprompt: [a, b\nconcurrency: 3\n');
    expect((await usageError(readSpecFile(bad))).message).toMatch(/not valid YAML at line [2-4]\b/);
  });

  it('reports the line of a duplicated key', async () => {
    const file = await specFile('name: docs\nconcurrency: 2\nconcurrency: 3\n');
    expect((await usageError(readSpecFile(file))).message).toMatch(/line 3/);
  });

  it('rejects a YAML document that is not a mapping (a list, a scalar, an empty file)', async () => {
    for (const text of ['- a\n- b\n', 'just a string\n', '']) {
      const file = await specFile(text);
      const err = await usageError(readSpecFile(file));
      expect(err.message).toMatch(/must be a YAML mapping/);
    }
  });

  it('rejects an unknown top-level field, naming it; the hint lists the top-level fields', async () => {
    const err = await usageError(() => buildSpec(raw({ concurency: 8 }), '/base', 'job.yaml'));
    expect(err.message).toContain('"concurency"');
    expect(err.message).toContain('job.yaml');
    expect(err.hint).toMatch(/^allowed fields: /);
    expect(err.hint).toContain('concurrency');
    expect(err.hint).toContain('prompt');
    expect(err.hint).not.toContain('maxTurns');
  });

  it('rejects an unknown field inside agent; the hint lists the agent fields only', async () => {
    const err = await usageError(() => buildSpec(raw({ agent: { maxTurn: 5 } }), '/base', 'job.yaml'));
    expect(err.message).toContain('"maxTurn"');
    expect(err.message).toContain('agent');
    expect(err.hint).toMatch(/^allowed fields in agent \(type claude\): /);
    expect(err.hint).toContain('maxTurns');
    expect(err.hint).toContain('permissionMode');
    expect(err.hint).not.toContain('concurrency');
  });

  it('rejects an unknown field inside source; the hint lists the source fields', async () => {
    const err = await usageError(() =>
      buildSpec(raw({ source: { type: 'files', glob: '*.md', globs: ['x'] } }), '/base', 'job.yaml'),
    );
    expect(err.message).toContain('"globs"');
    expect(err.hint).toMatch(/^allowed fields in source \(type files\): /);
    expect(err.hint).toContain('exclude');
    expect(err.hint).not.toContain('maxTurns');
  });

  it('rejects concurrency 0, naming the field and the value', async () => {
    const err = await usageError(() => buildSpec(raw({ concurrency: 0 }), '/base', 'job.yaml'));
    expect(err.message).toMatch(/concurrency: .*\(got 0\)/);
  });

  it('rejects a value of the wrong type, naming the field and the value', async () => {
    const err = await usageError(() => buildSpec(raw({ agent: { maxTurns: 'ten' } }), '/base', 'job.yaml'));
    expect(err.message).toContain('agent.maxTurns');
    expect(err.message).toContain('"ten"');
  });

  it('rejects an unknown placeholder in the prompt, listing the source placeholders', async () => {
    const err = await usageError(() => buildSpec(raw({ prompt: 'Summarise {{path}}' }), '/base', 'job.yaml'));
    expect(err.message).toContain('job.yaml');
    expect(err.message).toContain('{{path}}');
    expect(err.hint).toContain('{{relative_path}}');
  });

  it('rejects a bad permissionMode, naming the field and the value', async () => {
    const err = await usageError(() => buildSpec(raw({ agent: { permissionMode: 'yolo' } }), '/base', 'job.yaml'));
    expect(err.message).toContain('agent.permissionMode');
    expect(err.message).toContain('"yolo"');
    expect(err.message).toContain('acceptEdits');
  });

  it('rejects a bad job name', async () => {
    const err = await usageError(() => buildSpec(raw({ name: 'my job!' }), '/base', 'job.yaml'));
    expect(err.message).toMatch(/name: use letters, digits/);
  });
});

describe('specFromInputs', () => {
  it('lets flags override the spec file, and keeps the rest of the file', async () => {
    const file = await specFile(`${MINIMAL}concurrency: 2
retries: 1
agent:
  model: claude-a
  maxTurns: 3
  timeoutSeconds: 60
`);
    const flags: SpecFlags = {
      files: 'src/**/*.ts',
      prompt: 'Review {{file_path}}',
      name: 'review',
      concurrency: '16',
      model: 'claude-b',
      maxTurns: '7',
      allowedTools: 'Read, Write,,Edit',
      permissionMode: 'acceptEdits',
    };
    const spec = await specFromInputs(file, flags);
    expect(spec.name).toBe('review');
    expect(files(spec).glob).toBe('src/**/*.ts');
    expect(files(spec).cwd).toBe(path.dirname(file));
    expect(spec.prompt).toBe('Review {{file_path}}');
    expect(spec.concurrency).toBe(16);
    expect(spec.retries).toBe(1);
    expect(claude(spec).model).toBe('claude-b');
    expect(claude(spec).maxTurns).toBe(7);
    expect(spec.agent.timeoutSeconds).toBe(60);
    expect(claude(spec).allowedTools).toEqual(['Read', 'Write', 'Edit']);
    expect(claude(spec).permissionMode).toBe('acceptEdits');
  });

  it("resolves relative paths in flags against the shell's directory, not the spec file's", async () => {
    const file = await specFile(MINIMAL);
    const spec = await specFromInputs(file, { cwd: 'work', addDirs: 'shared,../other', claudeBin: 'bin/claude' });
    expect(files(spec).cwd).toBe(path.resolve('work'));
    expect(claude(spec).addDirs).toEqual([path.resolve('shared'), path.resolve('../other')]);
    expect(spec.agent.bin).toBe(path.resolve('bin/claude'));
    const onPath = await specFromInputs(file, { claudeBin: 'claude' });
    expect(onPath.agent.bin).toBe('claude');
  });

  it('builds a whole spec from flags alone, with the defaults', async () => {
    const spec = await specFromInputs(undefined, {
      files: '*.md',
      prompt: 'Do {{file_name}}',
      timeout: '90',
      rehearse: true,
    });
    expect(spec.source).toMatchObject({ type: 'files', glob: '*.md', cwd: process.cwd() });
    expect(spec.agent.timeoutSeconds).toBe(90);
    expect(claude(spec).rehearse).toBe(true);
    expect(spec.concurrency).toBe(4);
  });

  it('rejects --concurrency abc: it expects a number', async () => {
    const err = await usageError(specFromInputs(undefined, { files: '*.md', prompt: 'x', concurrency: 'abc' }));
    expect(err.message).toMatch(/--concurrency expects a number/);
    expect(err.message).toContain('"abc"');
  });

  it('rejects --concurrency 0 through the schema, naming the field', async () => {
    const err = await usageError(specFromInputs(undefined, { files: '*.md', prompt: 'x', concurrency: '0' }));
    expect(err.message).toMatch(/concurrency: .*\(got 0\)/);
  });

  it('rejects a bad --permission-mode through the schema', async () => {
    const err = await usageError(specFromInputs(undefined, { files: '*.md', prompt: 'x', permissionMode: 'yolo' }));
    expect(err.message).toContain('agent.permissionMode');
  });

  it('rejects no source', async () => {
    const err = await usageError(specFromInputs(undefined, { prompt: 'x' }));
    expect(err.message).toMatch(/no source/);
  });

  it('rejects no prompt', async () => {
    const err = await usageError(specFromInputs(undefined, { files: '*.md' }));
    expect(err.message).toMatch(/no prompt/);
  });

  it('derives the default job name from the glob', async () => {
    expect((await specFromInputs(undefined, { files: 'docs/**/*.md', prompt: 'x' })).name).toBe('docs-md');
    expect((await specFromInputs(undefined, { files: '**/*', prompt: 'x' })).name).toBe('job');
    const long = await specFromInputs(undefined, { files: `${'a'.repeat(50)}/*.md`, prompt: 'x' });
    expect(long.name.length).toBeLessThanOrEqual(40);
  });

  it('keeps the name from the spec file when no --name is given', async () => {
    const file = await specFile(MINIMAL);
    expect((await specFromInputs(file, { files: 'other/*.txt' })).name).toBe('docs');
  });

  it('reads --prompt-file, and a missing one is a UsageError', async () => {
    const promptFile = path.join(tmp, 'prompt.txt');
    await writeFile(promptFile, 'From a file: {{file_path}}\n');
    expect((await specFromInputs(undefined, { files: '*.md', promptFile })).prompt).toBe(
      'From a file: {{file_path}}\n',
    );
    const err = await usageError(
      specFromInputs(undefined, { files: '*.md', promptFile: path.join(tmp, 'missing.txt') }),
    );
    expect(err.message).toContain('missing.txt');
  });

  it('reads --output-schema into the spec, and a missing file is a UsageError naming it', async () => {
    const schemaFile = path.join(tmp, 'out.schema.yaml');
    await writeFile(schemaFile, 'type: object\nproperties: { summary: { type: string } }\n');
    const spec = await specFromInputs(undefined, { files: '*.md', prompt: 'x', outputSchema: schemaFile });
    expect(spec.output).toEqual({ schema: { type: 'object', properties: { summary: { type: 'string' } } } });
    const err = await usageError(
      specFromInputs(undefined, { files: '*.md', prompt: 'x', outputSchema: path.join(tmp, 'none.json') }),
    );
    expect(err.message).toMatch(/output\.schemaFile .*none\.json cannot be read/);
  });

  it('passes spec-file errors through as UsageErrors', async () => {
    await usageError(specFromInputs(path.join(tmp, 'absent.yaml'), {}));
  });
});

describe('jsonFlag', () => {
  const parse = (...values: string[]) => values.reduce<JsonFlag | undefined>((prev, v) => jsonFlag(v, prev), undefined);

  it('is output alone, a source with a file, or both', () => {
    expect(parse('')).toEqual({ output: true, file: undefined, spec: undefined });
    expect(parse('items.json')).toEqual({ output: false, file: 'items.json', spec: undefined });
    expect(parse('items.json', '')).toEqual({ output: true, file: 'items.json', spec: undefined });
  });

  it('takes a YAML file after it as the spec, and asks for JSON output', () => {
    expect(parse('job.yaml')).toEqual({ output: true, file: undefined, spec: 'job.yaml' });
  });

  it('reads a spec given that way', async () => {
    const file = await specFile(MINIMAL);
    const spec = await specFromInputs(undefined, { json: parse(file) });
    expect(spec.name).toBe('docs');
  });
});
