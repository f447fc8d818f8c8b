/**
 * `run`/`create` accept a spec file, flags, or both (flags win). Flags are mapped onto the
 * spec's raw shape and validated by the same schema, so both paths give the same errors.
 * Relative paths in flags mean the shell's directory; in a spec file, the file's directory.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { UsageError } from '../errors.js';
import { buildSpec, readSpecFile } from '../spec/loadSpec.js';
import type { JobSpec } from '../spec/schema.js';

export interface SpecFlags {
  files?: string;
  cwd?: string;
  exclude?: string[];
  limit?: string;
  prompt?: string;
  promptFile?: string;
  name?: string;
  concurrency?: string;
  retries?: string;
  testUnits?: string;
  budgetUsd?: string;
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

type Raw = Record<string, unknown> & { source?: Record<string, unknown>; agent?: Record<string, unknown> };

export async function specFromInputs(specFile: string | undefined, flags: SpecFlags): Promise<JobSpec> {
  const { raw, baseDir } = specFile ? await readSpecFile(specFile) : { raw: {}, baseDir: process.cwd() };
  const spec = structuredClone(raw) as Raw;

  if (flags.files !== undefined || flags.cwd !== undefined || flags.exclude !== undefined || flags.limit !== undefined) {
    spec.source = { type: 'files', ...(spec.source ?? {}) };
    if (flags.files !== undefined) spec.source.glob = flags.files;
    if (flags.cwd !== undefined) spec.source.cwd = path.resolve(flags.cwd);
    if (flags.exclude !== undefined) spec.source.exclude = flags.exclude;
    if (flags.limit !== undefined) spec.source.limit = number('--limit', flags.limit);
  }
  if (flags.promptFile !== undefined) spec.prompt = await readPromptFile(flags.promptFile);
  if (flags.prompt !== undefined) spec.prompt = flags.prompt;
  if (flags.name !== undefined) spec.name = flags.name;
  if (flags.concurrency !== undefined) spec.concurrency = number('--concurrency', flags.concurrency);
  if (flags.retries !== undefined) spec.retries = number('--retries', flags.retries);
  if (flags.testUnits !== undefined) spec.testUnits = number('--test-units', flags.testUnits);
  if (flags.budgetUsd !== undefined) spec.budgetUsd = number('--budget-usd', flags.budgetUsd);

  const agent: Record<string, unknown> = { ...(spec.agent ?? {}) };
  if (flags.model !== undefined) agent.model = flags.model;
  if (flags.maxTurns !== undefined) agent.maxTurns = number('--max-turns', flags.maxTurns);
  if (flags.allowedTools !== undefined) agent.allowedTools = list(flags.allowedTools);
  if (flags.permissionMode !== undefined) agent.permissionMode = flags.permissionMode;
  if (flags.timeout !== undefined) agent.timeoutSeconds = number('--timeout', flags.timeout);
  if (flags.addDirs !== undefined) agent.addDirs = flags.addDirs === 'unit' ? 'unit' : list(flags.addDirs).map((d) => path.resolve(d));
  if (flags.appendSystemPrompt !== undefined) agent.appendSystemPrompt = flags.appendSystemPrompt;
  if (flags.claudeBin !== undefined) agent.bin = flags.claudeBin.includes('/') ? path.resolve(flags.claudeBin) : flags.claudeBin;
  if (flags.rehearse) agent.rehearse = true;
  if (Object.keys(agent).length > 0) spec.agent = agent;

  if (!spec.source) {
    throw new UsageError('no source: give a spec file or --files GLOB', "e.g. agentic-batch run --files 'docs/**/*.md' --prompt 'Summarize {{relative_path}}'");
  }
  if (spec.prompt === undefined) throw new UsageError('no prompt: give --prompt TEXT, --prompt-file FILE, or `prompt:` in the spec');
  spec.name ??= defaultName(spec.source);
  return buildSpec(spec, baseDir, specFile ?? 'command line');
}

function number(flag: string, value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n)) throw new UsageError(`${flag} expects a number, got "${value}"`);
  return n;
}

function list(value: string): string[] {
  return value.split(',').map((s) => s.trim()).filter(Boolean);
}

async function readPromptFile(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch {
    throw new UsageError(`cannot read --prompt-file ${file}`, 'check the path');
  }
}

/** "docs/**\/*.md" → "docs-md": a readable job name when none is given. */
function defaultName(source: Record<string, unknown>): string {
  const glob = Array.isArray(source.glob) ? source.glob.join('-') : String(source.glob ?? 'job');
  return glob.replace(/[^A-Za-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 40) || 'job';
}
