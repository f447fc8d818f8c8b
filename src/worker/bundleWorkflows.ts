/**
 * Build step: bundle the workflow code once, so workers start in a fraction of a second instead
 * of running webpack at every start; then name the build (a hash of everything compiled), so a
 * CLI can tell the background stack runs another build's worker (after an upgrade).
 */
import { createHash } from 'node:crypto';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import { BUILD_ID_PATH } from '../stack/buildId.js';
import { WORKFLOW_BUNDLE_PATH } from './paths.js';

const WORKFLOWS_PATH = fileURLToPath(new URL('../../workflows/index.js', import.meta.url));

const { code } = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: new DefaultLogger('WARN') });
await writeFile(WORKFLOW_BUNDLE_PATH, code);
console.log(`workflow bundle written to ${WORKFLOW_BUNDLE_PATH} (${Math.round(code.length / 1024)} KiB)`);

const DIST = path.dirname(WORKFLOW_BUNDLE_PATH);
const hash = createHash('sha256');
const files = (await readdir(DIST, { recursive: true })).filter((f) => f.endsWith('.js')).sort();
for (const file of files) hash.update(file).update(await readFile(path.join(DIST, file)));
const id = hash.digest('hex').slice(0, 12);
await writeFile(BUILD_ID_PATH, `${id}\n`);
console.log(`build ${id}`);
