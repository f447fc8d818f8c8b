/**
 * Build step: bundle the workflow code once, so workers start in a fraction of a second instead
 * of running webpack at every start.
 */
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import { WORKFLOW_BUNDLE_PATH } from './paths.js';

const WORKFLOWS_PATH = fileURLToPath(new URL('../../workflows/index.js', import.meta.url));

const { code } = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: new DefaultLogger('WARN') });
await writeFile(WORKFLOW_BUNDLE_PATH, code);
console.log(`workflow bundle written to ${WORKFLOW_BUNDLE_PATH} (${Math.round(code.length / 1024)} KiB)`);
