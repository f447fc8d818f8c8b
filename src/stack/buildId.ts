/**
 * Which build this is: a hash of everything compiled, written by `npm run build`
 * (src/worker/bundleWorkflows.ts). The background stack records the build its worker runs, so a
 * command of another build (after an upgrade) restarts it on its own.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const BUILD_ID_PATH = fileURLToPath(new URL('../../build-id.txt', import.meta.url));

let buildId: string | null = null;

/** This build's id; `unbuilt` when run from sources that were never built. */
export function currentBuildId(): string {
  try {
    buildId ??= readFileSync(BUILD_ID_PATH, 'utf8').trim();
  } catch {
    buildId = 'unbuilt';
  }
  return buildId;
}
