/** Temporal's time-skipping test server, installed from Maven Central when missing (scripts/install-test-server.sh). */
import path from 'node:path';
import proto from '@temporalio/proto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { execa } from 'execa';
import { jobStatusSearchAttribute } from '../../workflows/messages.js';
import { ROOT } from './harness.js';

async function testServerPath(): Promise<string> {
  if (process.env.TEMPORAL_TEST_SERVER_PATH) return process.env.TEMPORAL_TEST_SERVER_PATH;
  const { stdout } = await execa('bash', [path.join(ROOT, 'scripts', 'install-test-server.sh')], {
    stderr: 'inherit',
  });
  return stdout.trim();
}

export async function timeSkippingEnvironment(): Promise<TestWorkflowEnvironment> {
  const executable = { type: 'existing-path' as const, path: await testServerPath() };
  const env = await startWithRetries(() => TestWorkflowEnvironment.createTimeSkipping({ server: { executable } }));
  // The job's status attribute (the test server lacks the list call ensureSearchAttribute makes).
  await env.connection.operatorService.addSearchAttributes({
    namespace: env.namespace ?? 'default',
    searchAttributes: {
      [jobStatusSearchAttribute.name]: proto.temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
    },
  });
  return env;
}

/**
 * The SDK gives the server 5 s to answer (fixed in its core); a cold JVM on this 2-core machine
 * sometimes takes longer (a clean-clone CI run failed every workflow test so), and a second start
 * finds its files cached.
 */
async function startWithRetries(start: () => Promise<TestWorkflowEnvironment>): Promise<TestWorkflowEnvironment> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await start();
    } catch (err) {
      if (attempt >= 3 || !/did not start within/.test(String(err))) throw err;
    }
  }
}
