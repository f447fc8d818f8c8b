/**
 * The Temporal CLI dev server: a full Temporal server on one SQLite file, with the Web UI.
 * Found in the order TEMPORAL_CLI_PATH, `temporal` on PATH, ~/go/bin/temporal.
 */
import { access, constants } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { execa } from 'execa';
import { jobStatusSearchAttribute } from '../../workflows/messages.js';

export async function findTemporalCli(explicit: string | null): Promise<string | null> {
  const candidates = [
    explicit,
    ...(process.env.PATH ?? '')
      .split(path.delimiter)
      .filter(Boolean)
      .map((dir) => path.join(dir, 'temporal')),
    path.join(os.homedir(), 'go', 'bin', 'temporal'),
  ];
  for (const candidate of candidates) {
    if (
      candidate &&
      (await access(candidate, constants.X_OK).then(
        () => true,
        () => false,
      ))
    )
      return candidate;
  }
  return null;
}

export interface DevServerOptions {
  cliPath: string;
  dbFile: string;
  port: number;
  uiPort: number | null;
  logFile: string;
  /** `--dynamic-config-value` entries, e.g. limit.historyCount.suggestContinueAsNew=200. */
  dynamicConfig?: Record<string, string | number>;
}

export interface DevServer {
  address: string;
  uiUrl: string | null;
  pid: number | null;
  stop(): Promise<void>;
}

export async function startTemporalDevServer(options: DevServerOptions): Promise<DevServer> {
  const args = [
    'server',
    'start-dev',
    '--ip',
    '127.0.0.1',
    '--port',
    String(options.port),
    '--db-filename',
    options.dbFile,
    '--namespace',
    'default',
    '--search-attribute',
    `${jobStatusSearchAttribute.name}=Keyword`,
    '--log-level',
    'warn',
    // WAL with synchronous=NORMAL: durable across process crashes (what the stack must survive),
    // without an fsync per history write, which on a small machine made the server disk-bound.
    '--sqlite-pragma',
    'journal_mode=wal',
    '--sqlite-pragma',
    'synchronous=normal',
    // Hand a unit's agent activity to the worker in the reply that schedules it: one poll less.
    '--dynamic-config-value',
    'system.enableActivityEagerExecution=true',
    // Task-queue priority (a job's `priority`): server 1.29 honours it only with the new matcher,
    // and within a partition. Measured: with the default four partitions a priority-1 unit still
    // waited behind priority-5 ones; with one it went first.
    '--dynamic-config-value',
    'matching.useNewMatcher=true',
    '--dynamic-config-value',
    'matching.numTaskqueueReadPartitions=1',
    '--dynamic-config-value',
    'matching.numTaskqueueWritePartitions=1',
  ];
  if (options.uiPort) args.push('--ui-port', String(options.uiPort));
  else args.push('--headless');
  for (const [key, value] of Object.entries(options.dynamicConfig ?? {})) {
    args.push('--dynamic-config-value', `${key}=${value}`);
  }
  const log = { file: options.logFile, append: true } as const;
  const child = execa(options.cliPath, args, {
    stdin: 'ignore',
    stdout: log,
    stderr: log,
    reject: false,
    cleanup: true,
  });
  const address = `127.0.0.1:${options.port}`;
  let exited = false;
  void child.then(() => {
    exited = true;
  });

  await waitUntilServing(address, () => exited, options.logFile);
  return {
    address,
    uiUrl: options.uiPort ? `http://127.0.0.1:${options.uiPort}` : null,
    pid: child.pid!,
    async stop() {
      if (!exited) child.kill('SIGTERM');
      await child;
    },
  };
}

/**
 * Last resort when no Temporal CLI is installed: @temporalio/testing downloads one (needs
 * internet) and runs it as a child of this process.
 */
export async function startDownloadedDevServer(options: Omit<DevServerOptions, 'cliPath'>): Promise<DevServer> {
  const env = await TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'cached-download' },
      dbFilename: options.dbFile,
      port: options.port,
      ui: options.uiPort !== null,
      uiPort: options.uiPort ?? undefined,
      searchAttributes: [jobStatusSearchAttribute],
      extraArgs: Object.entries(options.dynamicConfig ?? {}).flatMap(([k, v]) => [
        '--dynamic-config-value',
        `${k}=${v}`,
      ]),
    },
  });
  return {
    address: env.address,
    uiUrl: options.uiPort ? `http://127.0.0.1:${options.uiPort}` : null,
    pid: null,
    stop: () => env.teardown(),
  };
}

async function waitUntilServing(address: string, hasExited: () => boolean, logFile: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (hasExited()) throw new Error(`the Temporal dev server exited during startup; see ${logFile}`);
    try {
      const connection = await Connection.connect({ address, connectTimeout: 1000 });
      try {
        await connection.workflowService.describeNamespace({ namespace: 'default' });
        return;
      } finally {
        await connection.close();
      }
    } catch {
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  throw new Error(`the Temporal dev server did not answer on ${address} within 60s; see ${logFile}`);
}
