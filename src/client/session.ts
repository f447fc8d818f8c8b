/**
 * What every client command needs: where the services are (env vars, else the running
 * background stack, started on demand for commands that create work), a Temporal client and
 * the Postgres pool.
 */
import type { Client } from '@temporalio/client';
import type { Config } from '../config.js';
import { UserError } from '../errors.js';
import { startStackInBackground } from '../stack/background.js';
import { currentBuildId } from '../stack/buildId.js';
import { readStack } from '../stack/stackFile.js';
import { openDatabase, type Db } from '../store/db.js';
import { connectClient } from '../temporal/connect.js';
import { connectionOptionsFor } from '../temporal/settings.js';
import type { WaitPolicy } from './workerWait.js';

export interface Endpoints {
  temporalAddress: string;
  databaseUrl: string;
  uiUrl: string | null;
  /** The background stack's dashboard, without its token. */
  dashboardUrl?: string | null;
}

export interface Session {
  config: Config;
  endpoints: Endpoints;
  client: Client;
  db: Db;
  /** How long a request that needs a worker (an update) waits for one, and who is told it waits. */
  waitPolicy: WaitPolicy;
  close(): Promise<void>;
}

export async function resolveEndpoints(config: Config, options: { autoStart: boolean }): Promise<Endpoints> {
  if (config.temporalAddress && config.databaseUrl) {
    return { temporalAddress: config.temporalAddress, databaseUrl: config.databaseUrl, uiUrl: config.temporalUiUrl };
  }
  let stack = await readStack(config.home);
  // A command that makes work starts the stack, or restarts one of another build (an upgrade).
  if (options.autoStart && stack?.build !== currentBuildId()) stack = await startStackInBackground(config);
  if (!stack) {
    throw new UserError(
      `the agentic-batch stack is not running (state dir ${config.home})`,
      'start it with `agentic-batch up -d`, or set TEMPORAL_ADDRESS and DATABASE_URL',
    );
  }
  // Half from the environment and half from a stack started elsewhere: its worker would serve
  // one Temporal server or database while this command used another.
  const mismatch =
    config.temporalAddress && config.temporalAddress !== stack.temporalAddress
      ? `Temporal is ${config.temporalAddress} by ${config.temporal.origin} but the running stack uses ${stack.temporalAddress}`
      : config.databaseUrl && config.databaseUrl !== stack.databaseUrl
        ? 'DATABASE_URL differs from the database the running stack uses'
        : null;
  if (mismatch) {
    throw new UserError(
      mismatch,
      'set both TEMPORAL_ADDRESS and DATABASE_URL, or restart the stack in this environment (`agentic-batch down`)',
    );
  }
  return {
    temporalAddress: stack.temporalAddress,
    databaseUrl: stack.databaseUrl,
    uiUrl: stack.uiUrl,
    dashboardUrl: stack.dashboardUrl,
  };
}

export async function openSession(
  config: Config,
  options: { autoStart: boolean; waitPolicy?: WaitPolicy },
): Promise<Session> {
  return connectSession(config, await resolveEndpoints(config, options), options.waitPolicy);
}

/** A session on known endpoints (the stack's own, for the dashboard it serves). */
export async function connectSession(
  config: Config,
  endpoints: Endpoints,
  waitPolicy: WaitPolicy = { waitSeconds: null },
): Promise<Session> {
  const client = await connectClient(
    connectionOptionsFor(config.temporal, endpoints.temporalAddress),
    config.namespace,
  );
  let db: Db;
  try {
    db = await openDatabase(endpoints.databaseUrl, { max: 4 });
  } catch (err) {
    await client.connection.close();
    throw new UserError((err as Error).message, 'check DATABASE_URL, or start the stack with `agentic-batch up -d`');
  }
  return {
    config,
    endpoints,
    client,
    db,
    waitPolicy,
    async close() {
      await Promise.allSettled([client.connection.close(), db.end()]);
    },
  };
}

/** Open a session for one command and close it whatever happens. */
export async function withSession<T>(
  config: Config,
  fn: (session: Session) => Promise<T>,
  options: { autoStart: boolean; waitPolicy?: WaitPolicy } = { autoStart: false },
): Promise<T> {
  const session = await openSession(config, options);
  try {
    return await fn(session);
  } finally {
    await session.close();
  }
}
