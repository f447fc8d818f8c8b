// One real Temporal dev server and one real Postgres for all integration tests. Plain ESM over
// the compiled code (`npm test` builds first): jest loads global setup outside its transformer.
import { rm, writeFile } from 'node:fs/promises';
import { startPrivateServers } from '../../dist/src/stack/privateServers.js';
import { TEST_STACK_FILE } from './testStackFile.mjs';

const SUGGEST_CONTINUE_AS_NEW_AT = 300;

export default async function globalSetup() {
  const servers = await startPrivateServers({
    prefix: 'agentic-batch-it-',
    dynamicConfig: { 'limit.historyCount.suggestContinueAsNew': SUGGEST_CONTINUE_AS_NEW_AT },
  });
  await writeFile(
    TEST_STACK_FILE,
    JSON.stringify({
      temporalAddress: servers.temporalAddress,
      databaseUrl: servers.databaseUrl,
      temporalPid: servers.temporalPid,
      home: servers.home,
      suggestContinueAsNewAt: SUGGEST_CONTINUE_AS_NEW_AT,
    }),
  );
  // Stop the servers, then remove their data: each run's stack is ~130 MB.
  globalThis.__agenticBatchTestStop = async () => {
    await servers.stop();
    await rm(servers.home, { recursive: true, force: true });
  };
}
