/**
 * Turn a spec file and/or CLI flags into a validated, fully resolved JobSpec. Everything a user
 * can get wrong here becomes a UsageError that names the field, the value and the fix.
 */
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import YAML from 'yaml';
import type { z } from 'zod';
import { withheldByDefault } from '../agents/agentEnv.js';
import { AGENT_TYPES, agentFields, agentKind } from '../agents/index.js';
import { UsageError } from '../errors.js';
import { SOURCE_TYPES, sourceFields, sourceKind } from '../sources/index.js';
import { resolveIsolation } from './isolation.js';
import { schemaProblem, type OutputSchema } from './outputSchema.js';
import { AGGREGATE_FIELDS, jobSpecSchema, type AgentSpec, type JobSpec } from './schema.js';
import { TemplateError, validateTemplate } from './template.js';

export async function readSpecFile(file: string): Promise<{ raw: unknown; baseDir: string }> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT')
      throw new UsageError(
        `spec file ${file} does not exist`,
        'check the path, or use flags: run --files GLOB --prompt TEXT',
      );
    throw new UsageError(`cannot read spec file ${file}: ${(err as Error).message}`);
  }
  const doc = YAML.parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const first = doc.errors[0]!;
    const where = first.linePos?.[0] ? ` at line ${first.linePos[0].line}, column ${first.linePos[0].col}` : '';
    const reason = first.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
    throw new UsageError(
      `${file} is not valid YAML${where}: ${reason}`,
      'fix the YAML syntax (indentation, quotes, colons)',
    );
  }
  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    // A "billion laughs" document: aliases that expand without end.
    throw new UsageError(
      `${file} cannot be read: ${(err as Error).message}`,
      'use fewer YAML aliases (*name); write the values out',
    );
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new UsageError(
      `${file} must be a YAML mapping with at least source and prompt`,
      'see `agentic-batch run --help` for an example',
    );
  }
  return { raw, baseDir: path.dirname(path.resolve(file)) };
}

/**
 * A raw spec that gives an intent gets its prompt written by the agent once its source can be
 * read; until then it holds a stand-in that fits any source. Returns whether it does; an intent
 * with a prompt is an error (`names` are the front end's words for the two).
 */
export function standInForIntent(
  raw: Record<string, unknown>,
  names: { intent: string; prompt: string } = { intent: 'intent', prompt: 'prompt' },
): boolean {
  if (raw.intent === undefined) return false;
  if (raw.prompt !== undefined) {
    throw new UsageError(
      `${names.intent} and ${names.prompt} together: give one`,
      `${names.intent} has the agent write the prompt; ${names.prompt} is the prompt itself`,
    );
  }
  raw.prompt = '{{_key}}';
  return true;
}

/** Validate, resolve relative paths against baseDir, and check the templates fit the source. */
export function buildSpec(raw: unknown, baseDir: string, origin: string): JobSpec {
  const parsed = jobSpecSchema.safeParse(raw, { reportInput: true });
  if (!parsed.success)
    throw new UsageError(formatIssues(parsed.error.issues, origin), hintFor(parsed.error.issues, raw));
  const spec = parsed.data as JobSpec;
  checkSecretNames(spec, origin);
  const sourceKindOf = sourceKind(spec.source);
  const source = sourceKindOf.resolve(spec.source, baseDir);
  const resolveAgent = (given: AgentSpec): AgentSpec => {
    const resolved = agentKind(given).resolve?.(given, baseDir) ?? given;
    return {
      ...resolved,
      cwd: path.resolve(baseDir, resolved.cwd ?? sourceKindOf.workingDirectory?.(source) ?? '.'),
      bin: resolved.bin?.includes('/') ? path.resolve(baseDir, resolved.bin) : resolved.bin,
    };
  };
  const agent = resolveAgent(spec.agent);
  const check = (templates: { what: string; template: string }[], fields: readonly string[] | null): void => {
    for (const { what, template } of templates) {
      try {
        validateTemplate(template, fields, what);
      } catch (err) {
        if (err instanceof TemplateError) throw new UsageError(`${origin}: ${err.message}`, err.hint);
        throw err;
      }
    }
  };
  check(unitTemplates({ ...spec, agent }), sourceKindOf.fields);
  const aggregate = spec.aggregate && {
    prompt: spec.aggregate.prompt,
    agent: spec.aggregate.agent ? resolveAgent(spec.aggregate.agent as AgentSpec) : agent,
  };
  if (aggregate) {
    const aggregateAgent = agentKind(aggregate.agent).templates?.(aggregate.agent) ?? [];
    check(
      [
        { what: 'aggregate.prompt', template: aggregate.prompt },
        ...aggregateAgent.map((t) => ({ ...t, what: `${t.what} (aggregate)` })),
      ],
      AGGREGATE_FIELDS,
    );
  }
  const output = spec.output && { schema: outputSchemaOf(spec.output, baseDir, origin) };
  // A program given as a path is the spec's; it runs in each unit's working directory.
  const verify = spec.verify && {
    ...spec.verify,
    command: spec.verify.command.map((arg, i) => (i === 0 && arg.includes('/') ? path.resolve(baseDir, arg) : arg)),
  };
  const isolation = spec.isolation && resolveIsolation(spec.isolation, agent.cwd!, baseDir, origin);
  return {
    ...spec,
    source,
    agent,
    ...(output ? { output } : {}),
    ...(verify ? { verify } : {}),
    ...(isolation ? { isolation } : {}),
    ...(aggregate ? { aggregate } : {}),
  } as JobSpec;
}

/** Every template rendered per unit: the prompt, the agent's arguments, the verify command. */
export function unitTemplates(
  spec: Pick<JobSpec, 'prompt' | 'agent' | 'verify'>,
): { what: string; template: string }[] {
  return [
    { what: 'the prompt', template: spec.prompt },
    ...(agentKind(spec.agent).templates?.(spec.agent) ?? []),
    ...(spec.verify?.command.map((template) => ({ what: 'verify.command', template })) ?? []),
  ];
}

/** The spec's output schema, read from its file if need be, and checked. */
function outputSchemaOf(output: { schema?: OutputSchema; schemaFile?: string }, baseDir: string, origin: string) {
  let schema = output.schema;
  const file = output.schemaFile && path.resolve(baseDir, output.schemaFile);
  if (file) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new UsageError(
        `${origin}: output.schemaFile ${file} cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
        'check the path; it is relative to the spec file',
      );
    }
    try {
      schema = YAML.parse(text) as OutputSchema;
    } catch (err) {
      throw new UsageError(
        `${origin}: output.schemaFile ${file} is not JSON or YAML: ${(err as Error).message.split('\n')[0]}`,
        'fix its syntax; a JSON Schema file is JSON (or YAML)',
      );
    }
  }
  const problem =
    schema && typeof schema === 'object' && !Array.isArray(schema) ? schemaProblem(schema) : 'not an object';
  if (problem) {
    throw new UsageError(
      `${origin}: output.schema${file ? ` (${file})` : ''} is not a usable JSON Schema: ${problem}`,
      'write a JSON Schema of an object, e.g. {type: object, properties: {summary: {type: string}}, required: [summary]}',
    );
  }
  return schema!;
}

function formatIssues(issues: readonly z.core.$ZodIssue[], origin: string): string {
  const lines = issues.slice(0, 5).map((issue) => {
    const field = issue.path.length ? issue.path.join('.') : '(top level)';
    if (issue.code === 'unrecognized_keys') {
      return `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')} in ${field}`;
    }
    if (issue.code === 'invalid_union' && 'discriminator' in issue) {
      const section = String(issue.path[0]);
      const given = (issue.input as { type?: unknown } | undefined)?.type;
      const types = section === 'agent' ? AGENT_TYPES : SOURCE_TYPES;
      const what =
        given === undefined ? `${section}.type is missing` : `unknown ${section} type ${JSON.stringify(given)}`;
      return `${what} (one of ${types.join(', ')})`;
    }
    const value = 'input' in issue && issue.input !== undefined ? ` (got ${JSON.stringify(issue.input)})` : '';
    return `${field}: ${issue.message}${value}`;
  });
  const more = issues.length > 5 ? `; and ${issues.length - 5} more` : '';
  return `invalid job spec (${origin}): ${lines.join('; ')}${more}`;
}

function hintFor(issues: readonly z.core.$ZodIssue[], raw: unknown): string {
  const unknown = issues.find((i) => i.code === 'unrecognized_keys');
  if (unknown) {
    const where = unknown.path.join('.');
    const section = (raw as Record<string, { type?: unknown } | undefined>)?.[where];
    const type = typeof section?.type === 'string' ? section.type : where === 'agent' ? 'claude' : '';
    const allowed =
      where === ''
        ? Object.keys(jobSpecSchema.shape)
        : where === 'source'
          ? sourceFields(type)
          : where === 'agent'
            ? agentFields(type)
            : null;
    if (allowed)
      return `allowed fields${where ? ` in ${where}${type ? ` (type ${type})` : ''}` : ''}: ${allowed.join(', ')}`;
  }
  return 'see `agentic-batch run --help` for every field and its default';
}

/**
 * The variables a spec names as secrets must read as secrets: agents never see those (agentEnv.ts),
 * whichever job they run for. A name that does not (ACME_HOOK) would reach other jobs' agents.
 */
function checkSecretNames(spec: JobSpec, origin: string): void {
  const named = [
    ['webhook.secretEnv', spec.webhook?.secretEnv, 'WEBHOOK_SECRET'],
    ['source.urlEnv', spec.source.type === 'sql' ? spec.source.urlEnv : undefined, 'WAREHOUSE_DATABASE_URL'],
  ] as const;
  for (const [field, name, example] of named) {
    if (name && !withheldByDefault(name)) {
      throw new UsageError(
        `${origin}: ${field} ${name} does not read as a secret's name, so agents on the worker would see it`,
        `name the variable so it does (…_SECRET, …_TOKEN, …_KEY, …_PASSWORD, …_URL, …_DSN), e.g. ${example}`,
      );
    }
  }
}
