/**
 * What integration tests use to drive the real thing: the CLI as a subprocess, workers as
 * subprocesses (so one can be killed), Postgres for assertions, and a Temporal client.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll } from '@jest/globals';
import { Client, Connection } from '@temporalio/client';
import { execa, type ResultPromise } from 'execa';
import pg from 'pg';
import YAML from 'yaml';
import { migrate } from '../../src/store/migrations.js';
import { readTestStack, type TestStack } from './testStack.js';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const CLI = path.join(ROOT, 'bin', 'agentic-batch.js');
export const EMITTER = path.join(ROOT, 'scripts', 'stream-json-emitter.sh');

export interface CliResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/**
 * One test file's world: its own task queue and state dir on the shared servers (or on servers
 * of its own, `stack`, for a test that stops and starts them).
 */
export class Harness {
  stack: TestStack;
  readonly taskQueue = `it-${randomBytes(4).toString('hex')}`;
  db: pg.Pool;
  private readonly workers = new Set<WorkerProcess>();
  private clientPromise: Promise<Client> | null = null;
  home = '';

  constructor(private readonly ownStack?: () => Promise<TestStack>) {
    this.stack = readTestStack();
    this.db = this.pool();
  }

  async setup(): Promise<this> {
    if (this.ownStack) {
      await this.db.end();
      this.stack = await this.ownStack();
      this.db = this.pool();
    }
    this.home = await mkdtemp(path.join(os.tmpdir(), 'agentic-batch-home-'));
    await migrate(this.db);
    return this;
  }

  private pool(): pg.Pool {
    const pool = new pg.Pool({ connectionString: this.stack.databaseUrl, max: 3 });
    pool.on('error', () => undefined); // a server the test restarts
    return pool;
  }

  env(extra: Record<string, string> = {}): Record<string, string> {
    return {
      TEMPORAL_ADDRESS: this.stack.temporalAddress,
      DATABASE_URL: this.stack.databaseUrl,
      AGENTIC_BATCH_TASK_QUEUE: this.taskQueue,
      AGENTIC_BATCH_HOME: this.home,
      ...extra,
    };
  }

  async cli(args: string[], options: { cwd?: string; env?: Record<string, string> } = {}): Promise<CliResult> {
    const result = await execa('node', [CLI, ...args], {
      cwd: options.cwd ?? this.home,
      env: this.env(options.env),
      reject: false,
      stdin: 'ignore',
    });
    return { exitCode: result.exitCode ?? -1, stdout: result.stdout, stderr: result.stderr };
  }

  /** `cli` that must succeed; returns stdout parsed as JSON when asked. */
  async cliJson<T = Record<string, unknown>>(args: string[], options: { cwd?: string } = {}): Promise<T> {
    const result = await this.cli([...args, '--json'], options);
    if (result.exitCode !== 0)
      throw new Error(`agentic-batch ${args.join(' ')} exited ${result.exitCode}: ${result.stderr}`);
    return JSON.parse(result.stdout) as T;
  }

  /** `run ARGS --yes --json` to the end: the final status (exit 1, a job that FAILED, included). */
  async runJob(args: string[], options: { cwd?: string } = {}): Promise<StatusJson> {
    const r = await this.cli(['run', ...args, '--yes', '--json'], options);
    if (r.exitCode !== 0 && r.exitCode !== 1) throw new Error(`run exited ${r.exitCode}: ${r.stderr}`);
    return JSON.parse(r.stdout) as StatusJson;
  }

  /** The job's results (`results JOB`), by unit key. */
  async resultsByKey<T extends { key: string }>(jobId: string): Promise<Record<string, T>> {
    const results = parseJsonl<T>((await this.cli(['results', jobId])).stdout);
    return Object.fromEntries(results.map((r) => [r.key, r]));
  }

  async startWorker(env: Record<string, string> = {}, args: string[] = []): Promise<WorkerProcess> {
    const worker = new WorkerProcess(
      execa('node', [CLI, 'worker', ...args], { env: this.env(env), reject: false, stdin: 'ignore', all: true }),
    );
    this.workers.add(worker);
    await worker.ready();
    return worker;
  }

  client(): Promise<Client> {
    this.clientPromise ??= Connection.connect({ address: this.stack.temporalAddress }).then(
      (connection) => new Client({ connection }),
    );
    return this.clientPromise;
  }

  async query<T extends pg.QueryResultRow = Record<string, unknown>>(
    sql: string,
    params: unknown[] = [],
  ): Promise<T[]> {
    return (await this.db.query<T>(sql, params)).rows;
  }

  async teardown(): Promise<void> {
    await Promise.all([...this.workers].map((w) => w.stop()));
    if (this.clientPromise) await (await this.clientPromise).connection.close();
    await this.db.end();
  }
}

/**
 * A harness for this test file: set up before its tests (with a worker on its task queue when
 * asked), torn down after them.
 */
export function useHarness(options: { worker?: boolean; stack?: () => Promise<TestStack> } = {}): Harness {
  const h = new Harness(options.stack);
  beforeAll(async () => {
    await h.setup();
    if (options.worker) await h.startWorker();
  });
  afterAll(() => h.teardown());
  return h;
}

export class WorkerProcess {
  private output = '';
  constructor(readonly process: ResultPromise) {
    process.all?.on('data', (chunk: Buffer) => {
      this.output += chunk.toString();
    });
  }

  get pid(): number {
    return this.process.pid!;
  }

  get log(): string {
    return this.output;
  }

  async ready(): Promise<void> {
    await waitFor(
      () => this.output.includes('worker polling') || this.process.exitCode !== null,
      60_000,
      'worker start',
    );
    if (!this.output.includes('worker polling')) throw new Error(`worker did not start:\n${this.output}`);
  }

  /** SIGKILL: no draining, no goodbye, like a crashed machine. */
  async kill(): Promise<void> {
    this.process.kill('SIGKILL');
    await this.process;
  }

  async stop(): Promise<void> {
    if (this.process.exitCode !== null) return;
    this.process.kill('SIGTERM');
    await this.process;
  }
}

export async function waitFor(
  predicate: () => boolean | Promise<boolean>,
  timeoutMs: number,
  what: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await predicate()) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

/** Until `file` exists (a script's marker that it got this far). */
export function waitForFile(file: string, timeoutMs: number, what: string): Promise<void> {
  return waitFor(() => existsSync(file), timeoutMs, what);
}

/** A directory of `n` small markdown files: docs/doc01.md … */
export async function makeDocs(n: number, subdir = 'docs'): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'agentic-batch-docs-'));
  await mkdir(path.join(dir, subdir), { recursive: true });
  await Promise.all(
    Array.from({ length: n }, (_, i) =>
      writeFile(
        path.join(dir, subdir, `doc${String(i + 1).padStart(2, '0')}.md`),
        `# Doc ${i + 1}\n\nAbout topic ${i + 1}.\n`,
      ),
    ),
  );
  return dir;
}

export async function writeSpec(dir: string, spec: unknown, name = 'job.yaml'): Promise<string> {
  const file = path.join(dir, name);
  await writeFile(file, YAML.stringify(spec));
  return file;
}

export interface StatusJson {
  jobId: string;
  status: string;
  counts: {
    total: number;
    succeeded: number;
    failed: number;
    cancelled: number;
    expired: number;
    pending: number;
    running: number;
  };
  costUsd: number;
  message: string | null;
  templateVersion: number;
}

/** Poll `status --json` until the predicate holds. */
export async function waitForStatus(
  h: Harness,
  jobId: string,
  predicate: (s: StatusJson) => boolean,
  timeoutMs = 120_000,
): Promise<StatusJson> {
  let last: StatusJson | null = null;
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    last = await h.cliJson<StatusJson>(['status', jobId]);
    if (predicate(last)) return last;
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(`timed out waiting on ${jobId}; last status ${JSON.stringify(last)}`);
}

export function parseJsonl<T = Record<string, unknown>>(text: string): T[] {
  return text
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as T);
}
