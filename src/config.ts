/** Environment configuration, parsed once with zod. */
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { UsageError } from './errors.js';
import { loadTemporalSettings, type TemporalSettings } from './temporal/settings.js';

const envSchema = z.object({
  AGENTIC_BATCH_HOME: z.string().min(1).optional(),
  AGENTIC_BATCH_TASK_QUEUE: z.string().min(1).default('agentic-batch'),
  TEMPORAL_UI_URL: z.url({ message: 'it must be the Web UI address, e.g. http://localhost:8080' }).optional(),
  TEMPORAL_CLI_PATH: z.string().min(1).optional(),
  DATABASE_URL: z.string().min(1).optional(),
  AGENTIC_BATCH_NO_DOWNLOAD: z.string().optional(),
  AGENTIC_BATCH_TRUSTED_PROXIES: z.string().optional(),
  AGENTIC_BATCH_MEMORY_RESERVE_MB: z.coerce.number().int().min(0).optional(),
  AGENTIC_BATCH_AGENT_MEMORY_MB: z.coerce.number().int().positive().optional(),
});

export interface Config {
  home: string;
  taskQueue: string;
  namespace: string;
  /** Set (TEMPORAL_ADDRESS or a temporal.toml profile): use this Temporal server and start none. */
  temporalAddress: string | null;
  /** How to reach it: Temporal's environment configuration, TLS and API key included. */
  temporal: TemporalSettings;
  /** That server's Web UI, for links to jobs (the embedded stack knows its own). */
  temporalUiUrl: string | null;
  temporalCliPath: string | null;
  /** Set: use this Postgres and start none. */
  databaseUrl: string | null;
  /** Never download the Temporal CLI from the internet: build it with Go instead. */
  noDownload: boolean;
  /** Reverse proxies (addresses) whose X-Forwarded-Proto/-Host the dashboard believes. */
  trustedProxies: string[];
  /** How a worker admits agents by memory (src/agents/memoryGate.ts); flags override. */
  memory: MemoryLimits;
}

export interface MemoryLimits {
  /** Kept free (MB); unset: 5% of the memory, at least 256. */
  reserveMb?: number;
  /** What the worker's agents may take together (MB); unset: no budget. */
  agentMemoryMb?: number;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new UsageError(`environment variable ${issue.path.join('.')} is invalid: ${issue.message}`);
  }
  const e = parsed.data;
  const temporal = loadTemporalSettings(env);
  return {
    home: path.resolve(e.AGENTIC_BATCH_HOME ?? path.join(os.homedir(), '.agentic-batch')),
    taskQueue: e.AGENTIC_BATCH_TASK_QUEUE,
    namespace: temporal.namespace ?? 'default',
    temporalAddress: temporal.address,
    temporal,
    temporalUiUrl: e.TEMPORAL_UI_URL?.replace(/\/+$/, '') ?? null,
    temporalCliPath: e.TEMPORAL_CLI_PATH ?? null,
    databaseUrl: e.DATABASE_URL ?? null,
    noDownload: ['1', 'true', 'yes'].includes((e.AGENTIC_BATCH_NO_DOWNLOAD ?? '').toLowerCase()),
    trustedProxies: (e.AGENTIC_BATCH_TRUSTED_PROXIES ?? '')
      .split(',')
      .map((a) => a.trim())
      .filter(Boolean),
    memory: { reserveMb: e.AGENTIC_BATCH_MEMORY_RESERVE_MB, agentMemoryMb: e.AGENTIC_BATCH_AGENT_MEMORY_MB },
  };
}
