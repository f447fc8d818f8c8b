import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { buildClaudeArgs } from '../../src/agents/claude/buildArgs.js';
import { claudeAgentSchema } from '../../src/agents/claude/claude.js';
import { UsageError } from '../../src/errors.js';
import { buildSpec } from '../../src/spec/loadSpec.js';
import { outputFields, outputProblem, schemaProblem } from '../../src/spec/outputSchema.js';

const SCHEMA = {
  type: 'object',
  properties: { sentiment: { type: 'string', enum: ['good', 'bad'] }, score: { type: 'number' } },
  required: ['sentiment', 'score'],
};

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'agentic-batch-output-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

const spec = (output: unknown) =>
  buildSpec(
    { name: 'o', source: { type: 'files', glob: '*.md' }, prompt: 'Rate {{relative_path}}', output },
    tmp,
    'job.yaml',
  );

function usageError(work: () => unknown): UsageError {
  try {
    work();
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    return err as UsageError;
  }
  throw new Error('expected a UsageError');
}

describe('the output schema', () => {
  it('accepts a JSON Schema of an object, and names its top-level fields', () => {
    expect(schemaProblem(SCHEMA)).toBeNull();
    expect(outputFields(SCHEMA)).toEqual(['score', 'sentiment']);
  });

  it('refuses a schema that is not of an object, or not a JSON Schema', () => {
    expect(schemaProblem({ type: 'string' })).toMatch(/must describe an object/);
    expect(schemaProblem({ type: 'object', properties: { a: { type: 'strnig' } } })).toMatch(
      /^schema is invalid: data\/properties\/a\/type must be equal to one of the allowed values/,
    );
  });

  it('says where an output does not fit, and nothing when it does', () => {
    expect(outputProblem(SCHEMA, { sentiment: 'good', score: 2 })).toBeNull();
    const problem = outputProblem(SCHEMA, { sentiment: 'meh' });
    expect(problem).toMatch(/must have required property 'score'/);
    expect(problem).toMatch(/\/sentiment must be equal to one of the allowed values/);
  });
});

describe('output in the spec', () => {
  it('keeps an inline schema', () => {
    expect(spec({ schema: SCHEMA }).output).toEqual({ schema: SCHEMA });
  });

  it('reads schemaFile (JSON or YAML) relative to the spec, and keeps only the schema', async () => {
    await writeFile(path.join(tmp, 'rating.json'), JSON.stringify(SCHEMA));
    expect(spec({ schemaFile: 'rating.json' }).output).toEqual({ schema: SCHEMA });
    await writeFile(path.join(tmp, 'rating.yaml'), 'type: object\nproperties:\n  summary: {type: string}\n');
    expect(spec({ schemaFile: 'rating.yaml' }).output?.schema).toEqual({
      type: 'object',
      properties: { summary: { type: 'string' } },
    });
  });

  it('refuses a missing schemaFile, both or neither, and a schema that cannot be used, saying how to fix it', () => {
    expect(usageError(() => spec({ schemaFile: 'nope.json' })).message).toMatch(
      /output\.schemaFile .*nope\.json cannot be read \(ENOENT\)/,
    );
    expect(usageError(() => spec({ schema: SCHEMA, schemaFile: 'x.json' })).message).toMatch(
      /output needs exactly one of schema/,
    );
    expect(usageError(() => spec({})).message).toMatch(/output needs exactly one of schema/);
    const notObject = usageError(() => spec({ schema: { type: 'array' } }));
    expect(notObject.message).toMatch(/output\.schema is not a usable JSON Schema: it must describe an object/);
    expect(notObject.hint).toMatch(/type: object/);
  });
});

describe('claude with an output schema', () => {
  it('passes it as --json-schema, before the prompt', () => {
    const args = buildClaudeArgs(claudeAgentSchema.parse({ type: 'claude' }), {
      prompt: 'Rate it',
      addDirs: [],
      resumeSessionId: null,
      outputSchema: SCHEMA,
    });
    expect(args.slice(args.indexOf('--json-schema'), args.indexOf('--json-schema') + 2)).toEqual([
      '--json-schema',
      JSON.stringify(SCHEMA),
    ]);
    expect(args.slice(-2)).toEqual(['--', 'Rate it']);
  });
});
