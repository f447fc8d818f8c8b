/**
 * A previous release of this repository, built in a temporary directory once per machine: its
 * sources from git (`git archive`), this checkout's node_modules (the same dependencies), and its
 * own compiled code and workflow bundle. The upgrade test runs its CLI and worker.
 */
import { existsSync } from 'node:fs';
import { mkdir, rm, symlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { ROOT } from './harness.js';

/**
 * Today's main when workflows were first versioned: it has no versioning at all, and people
 * have jobs running on it (the first versioned release must finish them).
 */
export const PREVIOUS_RELEASE = '2b7a411';

/** The release's directory, built (about a minute the first time); its CLI is bin/agentic-batch.js. */
export async function buildRelease(commit = PREVIOUS_RELEASE): Promise<string> {
  const dir = path.join(os.tmpdir(), `agentic-batch-release-${commit}`);
  if (existsSync(path.join(dir, 'dist', 'workflow-bundle.js'))) return dir;
  const known = await execa('git', ['-C', ROOT, 'cat-file', '-t', commit], { reject: false });
  if (known.stdout.trim() !== 'commit') {
    throw new Error(
      `commit ${commit} is not in this clone (${known.stderr.trim() || 'not found'}): the upgrade test needs the ` +
        'repository with its history (a full clone, not a shallow one)',
    );
  }
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  await execa('sh', ['-c', `git -C "${ROOT}" archive ${commit} | tar -x -C "${dir}"`]);
  await symlink(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'));
  // The worker's parts only: the dashboard's front end is not needed to run jobs.
  await execa('node', [path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'], {
    cwd: dir,
  });
  await execa('node', ['dist/src/worker/bundleWorkflows.js'], { cwd: dir });
  return dir;
}
