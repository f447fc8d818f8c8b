/**
 * Records the workflow history fixtures (test/fixtures/histories) from real jobs: not part of
 * `npm test`, which replays them. `npm run record-histories` (see histories.record.ts).
 */
import { fileURLToPath } from 'node:url';
import base from '../../jest.config.js';

const rootDir = fileURLToPath(new URL('../..', import.meta.url));
const integration = base.projects.find((p) => p.displayName === 'integration');

export default {
  rootDir,
  testTimeout: 300_000,
  projects: [
    { ...integration, rootDir, displayName: 'record', roots: ['<rootDir>/test/record'], testMatch: ['**/*.record.ts'] },
  ],
};
