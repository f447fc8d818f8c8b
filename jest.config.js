/**
 * ESM + ts-jest: sources import './x.js', which maps back to the .ts file.
 * Two projects: fast unit tests (test/unit, and each source's and agent's own next to it in
 * src/), and integration tests that share one real Temporal dev server
 * and one real Postgres started by the global setup.
 */
const shared = {
  preset: 'ts-jest/presets/default-esm',
  testEnvironment: 'node',
  testMatch: ['**/*.test.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: { '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json' }] },
};

export default {
  testTimeout: 180_000,
  projects: [
    { ...shared, displayName: 'unit', roots: ['<rootDir>/test/unit', '<rootDir>/src'] },
    {
      ...shared,
      displayName: 'integration',
      roots: ['<rootDir>/test/integration'],
      globalSetup: '<rootDir>/test/support/globalSetup.mjs',
      globalTeardown: '<rootDir>/test/support/globalTeardown.mjs',
    },
  ],
};
