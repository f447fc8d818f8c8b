/** Where the shared test services listen, as written by globalSetup.mjs. */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface TestStack {
  temporalAddress: string;
  databaseUrl: string;
  temporalPid: number | null;
  home: string;
  /** History length at which the server suggests continue-as-new (lowered for tests). */
  suggestContinueAsNewAt: number;
}

// Same path as testStackFile.mjs (kept in step by hand: a .ts file cannot import it under ts-jest).
const TEST_STACK_FILE = path.join(os.tmpdir(), `agentic-batch-test-stack-${process.getuid?.() ?? 0}.json`);

export function readTestStack(): TestStack {
  return JSON.parse(readFileSync(TEST_STACK_FILE, 'utf8')) as TestStack;
}
