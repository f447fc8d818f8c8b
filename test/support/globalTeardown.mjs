import { rm } from 'node:fs/promises';
import { TEST_STACK_FILE } from './testStackFile.mjs';

export default async function globalTeardown() {
  await globalThis.__agenticBatchTestStop?.();
  await rm(TEST_STACK_FILE, { force: true });
}
