/**
 * create_job's input: a whole job spec, or a source (files, csv, json, jsonl, sqlite + sql, lines
 * a command prints) with a prompt (or an intent) and options, the way the CLI's flags give them.
 * Turned into the same raw spec a spec file would be, then validated by the spec's own schema.
 */
import { z } from 'zod';
import { UsageError } from '../errors.js';

export const createJobShape = {
  spec: z
    .record(z.string(), z.unknown())
    .optional()
    .describe('a whole job spec, as in a spec file (name, source, prompt, agent, …); the options below override it'),
  files: z.string().optional().describe("a glob: one unit per matching file, e.g. 'docs/**/*.md'"),
  csv: z.string().optional().describe('a CSV file: one unit per row'),
  json: z.string().optional().describe('a JSON file holding an array: one unit per element'),
  jsonl: z.string().optional().describe('a JSONL file: one unit per line'),
  sqlite: z.string().optional().describe('an SQLite database file, with sql'),
  sql: z.string().optional().describe('the query for sqlite: one unit per row (read-only)'),
  linesFrom: z.string().optional().describe('a shell command: one unit per line it prints'),
  key: z.string().optional().describe('the record field that identifies each unit'),
  limit: z.number().int().positive().optional().describe('only the first N units'),
  prompt: z.string().optional().describe('the prompt template, with {{field}} placeholders'),
  intent: z.string().optional().describe('instead of prompt: what you want done; the agent writes the prompt'),
  name: z.string().optional(),
  concurrency: z.number().int().positive().optional(),
  retries: z.number().int().min(0).optional(),
  testUnits: z
    .number()
    .int()
    .min(0)
    .optional()
    .describe('units run first, then the job waits for approve_job (default 1; 0 runs everything at once)'),
  budgetUsd: z.number().positive().optional(),
  agent: z
    .record(z.string(), z.unknown())
    .optional()
    .describe('agent options, e.g. {"model": "sonnet", "rehearse": true}'),
  cwd: z
    .string()
    .optional()
    .describe("the directory relative paths start from, and agents work in (default: the MCP server's)"),
};

export type CreateJobInput = z.infer<z.ZodObject<typeof createJobShape>>;

/** The raw spec the input means; the spec's schema checks it next. */
export function rawSpecOf(input: CreateJobInput): Record<string, unknown> {
  const raw: Record<string, unknown> = structuredClone(input.spec ?? {});
  const sources = {
    files: input.files && { type: 'files', glob: input.files },
    csv: input.csv && { type: 'csv', path: input.csv },
    json: input.json && { type: 'json', path: input.json },
    jsonl: input.jsonl && { type: 'jsonl', path: input.jsonl },
    sqlite: input.sqlite && { type: 'sqlite', path: input.sqlite, query: input.sql },
    linesFrom: input.linesFrom && { type: 'command', command: input.linesFrom },
  };
  const given = Object.entries(sources).filter(([, source]) => source);
  if (given.length > 1)
    throw new UsageError(`two sources: ${given.map(([k]) => k).join(' and ')}`, 'give one source per job');
  const source = given[0]?.[1] as Record<string, unknown> | undefined;
  if (source)
    raw.source = {
      ...source,
      ...(input.key ? { key: input.key } : {}),
      ...(input.limit ? { limit: input.limit } : {}),
    };
  else if (input.key || input.limit)
    raw.source = {
      ...(raw.source as object),
      ...(input.key ? { key: input.key } : {}),
      ...(input.limit ? { limit: input.limit } : {}),
    };
  if (!raw.source)
    throw new UsageError(
      'no source',
      'give one of files, csv, json, jsonl, sqlite + sql, linesFrom, or a spec with a source',
    );
  for (const field of ['prompt', 'intent', 'name', 'concurrency', 'retries', 'testUnits', 'budgetUsd'] as const)
    if (input[field] !== undefined) raw[field] = input[field];
  if (input.agent) raw.agent = { ...(raw.agent as object), ...input.agent };
  if (raw.prompt === undefined && raw.intent === undefined)
    throw new UsageError('no prompt', 'give prompt (a template with {{field}} placeholders) or intent');
  raw.name ??= `${String((raw.source as { type?: unknown }).type)}-job`;
  return raw;
}
