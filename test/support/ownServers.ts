/**
 * A Temporal dev server and a Postgres of a test's own, which it can stop and start again on the
 * same ports and data (the shared ones serve every other test file).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../../src/stack/ports.js';
import { startEmbeddedPostgres, type PostgresServer } from '../../src/stack/postgresServer.js';
import { findTemporalCli, startTemporalDevServer, type DevServer } from '../../src/stack/temporalServer.js';
import type { TestStack } from './testStack.js';

export class OwnServers {
  private postgres: PostgresServer | null = null;
  private temporal: DevServer | null = null;
  private home = '';
  private pgPort = 0;
  private temporalPort = 0;
  private cli = '';

  async start(): Promise<TestStack> {
    this.cli = (await findTemporalCli(process.env.TEMPORAL_CLI_PATH ?? null))!;
    this.home = await mkdtemp(path.join(os.tmpdir(), 'agentic-batch-own-'));
    this.pgPort = await freePort();
    this.temporalPort = await freePort();
    await Promise.all([this.startPostgres(), this.startTemporal()]);
    return {
      temporalAddress: this.temporal!.address,
      databaseUrl: this.postgres!.url,
      temporalPid: this.temporal!.pid,
      home: this.home,
      suggestContinueAsNewAt: 4096,
    };
  }

  async restartPostgres(downMs: number): Promise<void> {
    await this.postgres!.stop();
    await new Promise((r) => setTimeout(r, downMs));
    await this.startPostgres();
  }

  async restartTemporal(downMs: number): Promise<void> {
    await this.temporal!.stop();
    await new Promise((r) => setTimeout(r, downMs));
    await this.startTemporal();
  }

  async stop(): Promise<void> {
    await Promise.allSettled([this.temporal?.stop(), this.postgres?.stop()]);
    await rm(this.home, { recursive: true, force: true });
  }

  private async startPostgres(): Promise<void> {
    this.postgres = await startEmbeddedPostgres({ home: this.home, port: this.pgPort });
  }

  private async startTemporal(): Promise<void> {
    this.temporal = await startTemporalDevServer({
      cliPath: this.cli,
      dbFile: path.join(this.home, 'temporal.db'),
      port: this.temporalPort,
      uiPort: null,
      logFile: path.join(this.home, 'temporal.log'),
    });
  }
}
