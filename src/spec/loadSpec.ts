/**
 * Turn a spec file and/or CLI flags into a validated, fully resolved JobSpec. Everything a user
 * can get wrong here becomes a UsageError that names the field, the value and the fix.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import YAML from 'yaml';
import type { z } from 'zod';
import { UsageError } from '../errors.js';
import { sourceFor } from '../sources/index.js';
import { agentSchema, filesSourceSchema, jobSpecSchema, type JobSpec } from './schema.js';
import { TemplateError, validateTemplate } from './template.js';

export async function readSpecFile(file: string): Promise<{ raw: unknown; baseDir: string }> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new UsageError(`spec file ${file} does not exist`, 'check the path, or use flags: run --files GLOB --prompt TEXT');
    throw new UsageError(`cannot read spec file ${file}: ${(err as Error).message}`);
  }
  const doc = YAML.parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const first = doc.errors[0]!;
    const where = first.linePos?.[0] ? ` at line ${first.linePos[0].line}, column ${first.linePos[0].col}` : '';
    const reason = first.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
    throw new UsageError(`${file} is not valid YAML${where}: ${reason}`, 'fix the YAML syntax (indentation, quotes, colons)');
  }
  const raw: unknown = doc.toJS();
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new UsageError(`${file} must be a YAML mapping with at least source and prompt`, 'see `agentic-batch run --help` for an example');
  }
  return { raw, baseDir: path.dirname(path.resolve(file)) };
}

/** Validate, resolve relative paths against baseDir, and check the template fits the source. */
export function buildSpec(raw: unknown, baseDir: string, origin: string): JobSpec {
  const parsed = jobSpecSchema.safeParse(raw, { reportInput: true });
  if (!parsed.success) throw new UsageError(formatIssues(parsed.error.issues, origin), hintFor(parsed.error.issues));
  const spec = parsed.data;
  const source = sourceFor(spec.source);
  try {
    validateTemplate(spec.prompt, source.placeholders);
  } catch (err) {
    if (err instanceof TemplateError) throw new UsageError(`${origin}: ${err.message}`, err.hint);
    throw err;
  }
  const agent = { ...spec.agent };
  if (agent.cwd) agent.cwd = path.resolve(baseDir, agent.cwd);
  if (Array.isArray(agent.addDirs)) agent.addDirs = agent.addDirs.map((d) => path.resolve(baseDir, d));
  if (agent.bin && agent.bin.includes('/')) agent.bin = path.resolve(baseDir, agent.bin);
  return { ...spec, source: source.resolve(spec.source, { baseDir }), agent };
}

function formatIssues(issues: readonly z.core.$ZodIssue[], origin: string): string {
  const lines = issues.slice(0, 5).map((issue) => {
    const field = issue.path.length ? issue.path.join('.') : '(top level)';
    if (issue.code === 'unrecognized_keys') {
      return `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')} in ${field}`;
    }
    const value = 'input' in issue && issue.input !== undefined ? ` (got ${JSON.stringify(issue.input)})` : '';
    return `${field}: ${issue.message}${value}`;
  });
  const more = issues.length > 5 ? `; and ${issues.length - 5} more` : '';
  return `invalid job spec (${origin}): ${lines.join('; ')}${more}`;
}

const FIELDS_AT: Record<string, readonly string[]> = {
  '': Object.keys(jobSpecSchema.shape),
  agent: Object.keys(agentSchema.shape),
  source: Object.keys(filesSourceSchema.shape),
};

function hintFor(issues: readonly z.core.$ZodIssue[]): string {
  const unknown = issues.find((i) => i.code === 'unrecognized_keys');
  const allowed = unknown && FIELDS_AT[unknown.path.join('.')];
  if (allowed) return `allowed fields${unknown.path.length ? ` in ${unknown.path.join('.')}` : ''}: ${allowed.join(', ')}`;
  return 'see `agentic-batch run --help` for every field and its default';
}
