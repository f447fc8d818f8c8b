import { fileURLToPath } from 'node:url';

/** Written by `npm run build` next to the compiled code (dist/). */
export const WORKFLOW_BUNDLE_PATH = fileURLToPath(new URL('../../workflow-bundle.js', import.meta.url));
