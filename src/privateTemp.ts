/**
 * This process's private temporary directory: made with mkdtemp (mode 0700, a name no one can
 * guess or take first) on first use and removed when the process exits. Unit worktrees and the
 * aggregate step's results file live in it, never at fixed names under /tmp, where another user
 * could read them or plant a symlink ahead of them.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

let root: string | null = null;

export function privateTempRoot(): string {
  if (!root) {
    const made = mkdtempSync(path.join(os.tmpdir(), 'agentic-batch-'));
    root = made;
    process.once('exit', () => rmSync(made, { recursive: true, force: true }));
  }
  return root;
}

/** A fresh directory of its own inside the private root (the caller removes it when done). */
export function makePrivateDir(prefix: string): Promise<string> {
  return mkdtemp(path.join(privateTempRoot(), prefix));
}
