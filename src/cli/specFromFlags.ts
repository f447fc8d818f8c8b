/**
 * `run`/`create` accept a spec file, flags, or both (flags win). Flags are mapped onto the
 * spec's raw shape and validated by the same schema, so both paths give the same errors.
 * Relative paths in flags mean the shell's directory; in a spec file, the file's directory.
 * `--db` is a secret: it reaches the source's read, never the spec that is stored.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parse as parseShellWords } from 'shell-quote';
import type { ReadContext } from '../client/createJob.js';
import { UsageError } from '../errors.js';
import { buildSpec, readSpecFile, standInForIntent } from '../spec/loadSpec.js';
import type { JobSpec } from '../spec/schema.js';

export interface SpecFlags {
  files?: string;
  csv?: string;
  /** `--json FILE` names a JSON source; a bare `--json` asks for JSON output (see `jsonFlag`). */
  json?: JsonFlag;
  jsonl?: string;
  sql?: string;
  db?: string;
  sqlite?: string;
  linesFrom?: string;
  fromModule?: string;
  export?: string;
  pointer?: string;
  delimiter?: string;
  key?: string;
  cwd?: string;
  exclude?: string[];
  limit?: string;
  prompt?: string;
  promptFile?: string;
  intent?: string;
  name?: string;
  concurrency?: string;
  retries?: string;
  testUnits?: string;
  budgetUsd?: string;
  idempotencyKey?: string;
  requestsPerMinute?: string;
  priority?: string;
  outputSchema?: string;
  worktree?: boolean;
  /** false from --no-group-short-units. */
  groupShortUnits?: boolean;
  /** false from --no-breaker. */
  breaker?: boolean;
  agent?: string;
  agentCommand?: string;
  agentStdin?: string;
  agentBin?: string;
  model?: string;
  maxTurns?: string;
  allowedTools?: string;
  permissionMode?: string;
  timeout?: string;
  addDirs?: string;
  appendSystemPrompt?: string;
  claudeBin?: string;
  rehearse?: boolean;
}

/** `--json` given bare (print JSON), with a file (a JSON source), or both. */
export interface JsonFlag {
  output: boolean;
  file?: string;
  /** A spec file that followed `--json` (`run --json job.yaml`). */
  spec?: string;
}

/**
 * Commander's parser for `--json [file]` (its preset value is ''): it may be given twice. A YAML
 * file after it is a spec, not a JSON source (`run --json job.yaml` means print JSON).
 */
export function jsonFlag(value: string, previous: JsonFlag | undefined): JsonFlag {
  const spec = /\.ya?ml$/i.test(value) ? value : previous?.spec;
  const file = value && value !== spec ? value : previous?.file;
  return { output: (previous?.output ?? false) || value === '' || value === spec, file, spec };
}

type Raw = Record<string, unknown> & { source?: Record<string, unknown>; agent?: Record<string, unknown> };

/** The flags that choose a source, and the source each one means. */
const SOURCE_FLAGS = {
  files: { name: '--files', source: (v: string) => ({ type: 'files', glob: v }) },
  csv: { name: '--csv', source: (v: string) => ({ type: 'csv', path: path.resolve(v) }) },
  json: { name: '--json FILE', source: (v: string) => ({ type: 'json', path: path.resolve(v) }) },
  jsonl: { name: '--jsonl', source: (v: string) => ({ type: 'jsonl', path: path.resolve(v) }) },
  sqlite: { name: '--sqlite', source: (v: string) => ({ type: 'sqlite', path: path.resolve(v) }) },
  linesFrom: { name: '--lines-from', source: (v: string) => ({ type: 'command', command: v }) },
  fromModule: { name: '--from-module', source: (v: string) => ({ type: 'module', path: path.resolve(v) }) },
} as const;

export interface SpecInputs {
  spec: JobSpec;
  /** The spec gives an intent and no prompt: the prompt is still to be written (its prompt is a stand-in). */
  promptFromIntent: boolean;
  /** What the source's read needs that is never stored (the `--db` connection string). */
  read: ReadContext;
}

export async function specFromInputs(specArgument: string | undefined, flags: SpecFlags): Promise<SpecInputs> {
  if (specArgument && flags.json?.spec)
    throw new UsageError(`two spec files: ${specArgument} and ${flags.json.spec}`, 'give one');
  const specFile = specArgument ?? flags.json?.spec;
  const { raw, baseDir } = specFile ? await readSpecFile(specFile) : { raw: {}, baseDir: process.cwd() };
  const spec = structuredClone(raw) as Raw;

  applySourceFlags(spec, flags);
  if (flags.promptFile !== undefined) spec.prompt = await readPromptFile(flags.promptFile);
  if (flags.prompt !== undefined) spec.prompt = flags.prompt;
  if (flags.intent !== undefined) spec.intent = flags.intent;
  const promptFromIntent = standInForIntent(spec, { intent: '--intent', prompt: '--prompt' });
  if (flags.name !== undefined) spec.name = flags.name;
  if (flags.concurrency !== undefined) spec.concurrency = number('--concurrency', flags.concurrency);
  if (flags.retries !== undefined) spec.retries = number('--retries', flags.retries);
  if (flags.testUnits !== undefined) spec.testUnits = number('--test-units', flags.testUnits);
  if (flags.budgetUsd !== undefined) spec.budgetUsd = number('--budget-usd', flags.budgetUsd);
  if (flags.groupShortUnits === false) spec.groupShortUnits = false;
  if (flags.breaker === false) spec.breaker = false;
  if (flags.idempotencyKey !== undefined) spec.idempotencyKey = flags.idempotencyKey;
  if (flags.priority !== undefined) spec.priority = number('--priority', flags.priority);
  // Relative to where the command runs, like every path on the command line.
  if (flags.outputSchema !== undefined) spec.output = { schemaFile: path.resolve(flags.outputSchema) };
  if (flags.worktree) spec.isolation = { ...(spec.isolation as object | undefined), type: 'worktree' };
  if (flags.requestsPerMinute !== undefined)
    spec.requestsPerMinute = number('--requests-per-minute', flags.requestsPerMinute);
  applyAgentFlags(spec, flags);

  if (!spec.source) {
    throw new UsageError(
      'no source: give a spec file, or one of --files, --csv, --json, --jsonl, --sql, --sqlite, --lines-from, --from-module',
      "e.g. agentic-batch run --files 'docs/**/*.md' --prompt 'Summarize {{relative_path}}'",
    );
  }
  if (spec.prompt === undefined)
    throw new UsageError(
      'no prompt: give --prompt TEXT, --prompt-file FILE, or `prompt:` in the spec',
      'or --intent "what you want done": the agent writes the prompt from it',
    );
  spec.name ??= defaultName(spec.source);
  return {
    spec: buildSpec(spec, baseDir, specFile ?? 'command line'),
    promptFromIntent,
    read: flags.db ? { databaseUrl: flags.db } : {},
  };
}

function applySourceFlags(spec: Raw, flags: SpecFlags): void {
  const valueOf = (f: keyof typeof SOURCE_FLAGS): string | undefined => (f === 'json' ? flags.json?.file : flags[f]);
  const chosen = (Object.keys(SOURCE_FLAGS) as (keyof typeof SOURCE_FLAGS)[]).filter((f) => valueOf(f) !== undefined);
  if (chosen.length > 1) {
    throw new UsageError(
      `give one source, not ${chosen.map((f) => SOURCE_FLAGS[f].name).join(' and ')}`,
      'a job reads its units from one source',
    );
  }
  const flag = chosen[0];
  if (flag === 'sqlite' && flags.sql === undefined)
    throw new UsageError('--sqlite needs --sql QUERY: the rows it returns are the units');
  if (flags.db !== undefined && flags.sql === undefined)
    throw new UsageError('--db needs --sql QUERY: the rows it returns are the units');
  if (flag !== undefined) {
    const source = SOURCE_FLAGS[flag].source(valueOf(flag)!);
    spec.source = spec.source?.type === source.type ? { ...spec.source, ...source } : source;
  } else if (flags.sql !== undefined && spec.source?.type !== 'sqlite') {
    spec.source = { ...(spec.source?.type === 'sql' ? spec.source : {}), type: 'sql' };
  }
  if (flags.sql !== undefined) spec.source = { ...spec.source, query: flags.sql };

  const modifiers = {
    cwd: flags.cwd,
    exclude: flags.exclude,
    pointer: flags.pointer,
    export: flags.export,
    key: flags.key,
  };
  const given = Object.entries(modifiers).filter(([, v]) => v !== undefined);
  if ((given.length > 0 || flags.limit !== undefined || flags.delimiter !== undefined) && !spec.source) {
    spec.source = { type: 'files' }; // --cwd/--exclude alone narrow the files source, as they always did
  }
  for (const [field, value] of given) spec.source![field] = field === 'cwd' ? path.resolve(value as string) : value;
  if (flags.limit !== undefined) spec.source!.limit = number('--limit', flags.limit);
  if (flags.delimiter !== undefined) spec.source!.delimiter = flags.delimiter === '\\t' ? '\t' : flags.delimiter;
}

function applyAgentFlags(spec: Raw, flags: SpecFlags): void {
  let agent: Record<string, unknown> = { ...(spec.agent ?? {}) };
  if (flags.agent !== undefined && flags.agent !== agent.type) agent = { type: flags.agent };
  if (flags.agentCommand !== undefined) {
    agent = { ...(agent.type === 'command' ? agent : {}), type: 'command', command: shellWords(flags.agentCommand) };
  }
  if (flags.agentStdin !== undefined) agent.stdin = flags.agentStdin;
  if (flags.model !== undefined) agent.model = flags.model;
  if (flags.maxTurns !== undefined) agent.maxTurns = number('--max-turns', flags.maxTurns);
  if (flags.allowedTools !== undefined) agent.allowedTools = list(flags.allowedTools);
  if (flags.permissionMode !== undefined) agent.permissionMode = flags.permissionMode;
  if (flags.timeout !== undefined) agent.timeoutSeconds = number('--timeout', flags.timeout);
  if (flags.addDirs !== undefined)
    agent.addDirs = flags.addDirs === 'unit' ? 'unit' : list(flags.addDirs).map((d) => path.resolve(d));
  if (flags.appendSystemPrompt !== undefined) agent.appendSystemPrompt = flags.appendSystemPrompt;
  const bin = flags.agentBin ?? flags.claudeBin;
  if (bin !== undefined) agent.bin = bin.includes('/') ? path.resolve(bin) : bin;
  if (flags.rehearse) agent.rehearse = true;
  if (Object.keys(agent).length > 0) spec.agent = agent;
}

/** `python3 fix.py "{{_key}}"` → ["python3", "fix.py", "{{_key}}"]: words as a shell splits them, without running one. */
function shellWords(command: string): string[] {
  const words = parseShellWords(command, (name) => `$${name}`);
  if (words.some((w) => typeof w !== 'string')) {
    throw new UsageError(
      `--agent-command ${JSON.stringify(command)} uses shell operators`,
      'no shell runs it: give a program and its arguments, or wrap it: --agent-command "sh -c \'…\'"',
    );
  }
  if (words.length === 0) throw new UsageError('--agent-command is empty', 'give a program and its arguments');
  return words as string[];
}

function number(flag: string, value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n)) throw new UsageError(`${flag} expects a number, got "${value}"`);
  return n;
}

function list(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

async function readPromptFile(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch {
    throw new UsageError(`cannot read --prompt-file ${file}`, 'check the path');
  }
}

/** "docs/**\/*.md" → "docs-md", "products.csv" → "products": a readable job name when none is given. */
function defaultName(source: Record<string, unknown>): string {
  const from =
    source.glob !== undefined
      ? [source.glob].flat().join('-')
      : typeof source.path === 'string'
        ? path.basename(source.path).replace(/\.[^.]+$/, '')
        : typeof source.command === 'string'
          ? source.command
          : String(source.type ?? 'job');
  return (
    from
      .replace(/[^A-Za-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 40) || 'job'
  );
}
