/**
 * Running git: one place that spawns it, with a stable language (its messages are parsed), no
 * prompts (a worker has no terminal), no automatic gc (many units commit at once), and no hooks
 * or fsmonitor: an agent can write to the shared `.git` of the repository its worktree belongs
 * to, and a hook it planted would run on the next unit's checkout, commit or merge.
 */
import { execFile, execFileSync } from 'node:child_process';
import os from 'node:os';

export class GitError extends Error {
  constructor(
    readonly args: readonly string[],
    readonly code: number | null,
    readonly stderr: string,
  ) {
    super(
      `git ${args.join(' ')} failed${code === null ? '' : ` (exit ${code})`}: ${firstLine(stderr) || 'no message'}`,
    );
    this.name = 'GitError';
  }
}

export interface GitResult {
  code: number;
  stdout: string;
  stderr: string;
}

const BASE_ARGS = [
  ['-c', 'gc.auto=0'],
  ['-c', 'core.quotePath=false'],
  // A hooks directory in which nothing exists: no hook runs, whatever `.git/hooks` holds.
  ['-c', `core.hooksPath=${os.devNull}`],
  ['-c', 'core.fsmonitor=false'],
].flat();
const env = (): NodeJS.ProcessEnv => ({ ...process.env, LC_ALL: 'C', GIT_TERMINAL_PROMPT: '0' });

/** Runs git in `cwd`; a non-zero exit is returned, not thrown (a merge conflict is an answer). */
export function runGit(cwd: string, args: readonly string[]): Promise<GitResult> {
  return new Promise((resolve, reject) => {
    execFile(
      'git',
      [...BASE_ARGS, ...args],
      { cwd, env: env(), maxBuffer: 64 * 1024 * 1024, encoding: 'utf8' },
      (err, stdout, stderr) => {
        if (err && typeof err.code !== 'number') return reject(new GitError(args, null, err.message));
        resolve({ code: err ? (err.code as number) : 0, stdout, stderr });
      },
    );
  });
}

/** Runs git in `cwd` and returns its trimmed output; throws GitError when it fails. */
export async function git(cwd: string, args: readonly string[]): Promise<string> {
  const result = await runGit(cwd, args);
  if (result.code !== 0) throw new GitError(args, result.code, result.stderr || result.stdout);
  return result.stdout.trim();
}

/** `git` for the few questions asked while a job is created, before anything is stored. */
export function gitSync(cwd: string, args: readonly string[]): string {
  try {
    return execFileSync('git', [...BASE_ARGS, ...args], {
      cwd,
      env: env(),
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    }).trim();
  } catch (err) {
    const e = err as { status?: number | null; stderr?: string; message: string };
    throw new GitError(args, e.status ?? null, e.stderr || e.message);
  }
}

/**
 * `-c user.name=… -c user.email=…` when git knows no committer (a bare CI machine or a worker's
 * service account): commits are the tool's, and git would refuse them otherwise. Asked once per
 * repository: every unit of a job commits to the same one.
 */
export function identityArgs(repo: string): Promise<string[]> {
  let args = identities.get(repo);
  if (!args) {
    args = findIdentity(repo);
    identities.set(repo, args);
  }
  return args;
}

const identities = new Map<string, Promise<string[]>>();

async function findIdentity(repo: string): Promise<string[]> {
  if (process.env.GIT_COMMITTER_EMAIL || process.env.EMAIL) return [];
  const configured = await runGit(repo, ['config', 'user.email']);
  return configured.code === 0 && configured.stdout.trim()
    ? []
    : ['-c', 'user.name=agentic-batch', '-c', 'user.email=agentic-batch@localhost'];
}

function firstLine(text: string): string {
  return (
    text
      .split('\n')
      .map((l) => l.trim())
      .find(Boolean) ?? ''
  );
}
