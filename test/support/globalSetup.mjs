// One real Temporal dev server and one real Postgres for all integration tests. Plain ESM over
// the compiled code (`npm test` builds first): jest loads global setup outside its transformer.
import { chmod, mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startEmbeddedPostgres } from '../../dist/src/stack/postgresServer.js';
import { freePort } from '../../dist/src/stack/ports.js';
import { findTemporalCli, startTemporalDevServer } from '../../dist/src/stack/temporalServer.js';
import { TEST_STACK_FILE } from './testStackFile.mjs';

const SUGGEST_CONTINUE_AS_NEW_AT = 300;

export default async function globalSetup() {
  const cli = await findTemporalCli(process.env.TEMPORAL_CLI_PATH ?? null);
  if (!cli) throw new Error('integration tests need the Temporal CLI: run scripts/install-temporal-cli.sh');
  const home = await mkdtemp(path.join(os.tmpdir(), 'agentic-batch-it-'));
  // Traversable, so a root run keeps its Postgres cluster inside (not under /var/lib).
  await chmod(home, 0o711);
  const [pg, temporal] = await Promise.all([
    startEmbeddedPostgres({ home, port: await freePort() }),
    startTemporalDevServer({
      cliPath: cli,
      dbFile: path.join(home, 'temporal.db'),
      port: await freePort(),
      uiPort: null,
      logFile: path.join(home, 'temporal.log'),
      dynamicConfig: { 'limit.historyCount.suggestContinueAsNew': SUGGEST_CONTINUE_AS_NEW_AT },
    }),
  ]);
  await writeFile(
    TEST_STACK_FILE,
    JSON.stringify({
      temporalAddress: temporal.address,
      databaseUrl: pg.url,
      temporalPid: temporal.pid,
      home,
      suggestContinueAsNewAt: SUGGEST_CONTINUE_AS_NEW_AT,
    }),
  );
  globalThis.__agenticBatchTestStop = async () => {
    await Promise.allSettled([temporal.stop(), pg.stop()]);
  };
}
