import { builtinModules } from 'node:module';
import js from '@eslint/js';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';
import importX from 'eslint-plugin-import-x';
import tseslint from 'typescript-eslint';

/**
 * Which layer may import which (DESIGN.md, "Structure"): lower layers never import upward.
 * Each zone forbids `target` from importing anything under `from`.
 */
const layer = (target, from, message, except) => ({ target, from, message, ...(except ? { except } : {}) });
const LEAF = 'src/domain is a leaf: it imports nothing of the project.';
/** Everything the store and git sit below. */
const ABOVE_THE_STORE = [
  './src/sources',
  './src/agents',
  './src/spec',
  './src/client',
  './src/cli',
  './src/stack',
  './src/worker',
  './activities',
  './workflows',
];
const LAYERS = [
  layer('./src/domain', './src', LEAF, ['./domain']),
  layer('./src/domain', ['./workflows', './activities'], LEAF),
  layer('./src/store', ['./src/git', ...ABOVE_THE_STORE], 'the store imports only src/domain.'),
  layer('./src/git', ['./src/store', ...ABOVE_THE_STORE], 'git knows only git: it imports src/domain.'),
  layer(
    './src/sources',
    [
      './src/store',
      './src/agents',
      './src/client',
      './src/cli',
      './src/stack',
      './src/worker',
      './activities',
      './workflows',
    ],
    'a source knows only its records: no store, agents, client or front ends.',
  ),
  layer(
    './src/agents',
    [
      './src/store',
      './src/sources',
      './src/client',
      './src/cli',
      './src/stack',
      './src/worker',
      './activities',
      './workflows',
    ],
    'an agent adapter knows only its CLI: no store, sources, client or front ends.',
  ),
  layer(
    './src/spec',
    ['./src/store', './src/client', './src/cli', './src/stack', './src/worker', './activities', './workflows'],
    'the spec is parsed below the client and the store.',
  ),
  layer(
    './activities',
    ['./src/client', './src/cli', './src/stack', './src/worker', './workflows'],
    'activities sit below the client.',
  ),
  layer(
    './src/client',
    ['./src/cli', './src/worker', './src/mcp', './src/web'],
    'the client API is below every front end.',
  ),
  layer(
    './src/web',
    [
      './src/cli',
      './src/mcp',
      './src/store',
      './activities',
      './src/sources',
      './src/agents',
      './src/stack',
      './src/worker',
    ],
    'the dashboard is a front end: it calls src/client and adds no behaviour.',
  ),
  layer(
    './src/mcp',
    ['./src/cli', './src/store', './activities', './src/sources', './src/agents', './src/stack', './src/worker'],
    'the MCP server is a front end: it calls src/client and adds no behaviour.',
  ),
  layer(
    './src/cli',
    ['./src/store', './activities', './src/sources', './src/agents'],
    'the CLI renders what src/client returns and queries nothing itself.',
  ),
];

/** Workflow code is replayed deterministically in Temporal's sandbox: no Node builtins, no I/O. */
const NODE_BUILTINS = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts', '**/*.tsx'],
    plugins: { 'import-x': importX },
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    settings: { 'import-x/resolver-next': [createTypeScriptImportResolver({ project: './tsconfig.json' })] },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      'import-x/no-duplicates': 'error',
      'import-x/order': [
        'error',
        {
          groups: ['builtin', 'external', ['parent', 'sibling', 'index']],
          'newlines-between': 'never',
          alphabetize: { order: 'asc', caseInsensitive: true },
        },
      ],
      'import-x/no-restricted-paths': ['error', { zones: LAYERS }],
    },
  },
  {
    files: ['workflows/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: [...NODE_BUILTINS, 'pg', 'execa'].map((name) => ({
            name,
            message: 'Workflow code must stay deterministic: move side effects into an activity.',
          })),
          patterns: [
            {
              group: ['../src/*', '!../src/domain', '../activities/*'],
              allowTypeImports: true,
              message: 'Workflows import src/domain, and activities only as types.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
  },
);
