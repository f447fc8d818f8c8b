import os from 'node:os';
import path from 'node:path';

/** Where the global setup tells test files about the shared servers. */
export const TEST_STACK_FILE = path.join(os.tmpdir(), `agentic-batch-test-stack-${process.getuid?.() ?? 0}.json`);
