/**
 * All activities, built from their dependencies so tests and the worker inject the pool, the
 * agent binary and the rehearsal API. The workflows import only the type.
 */
import type { MemoryLimits } from '../src/config.js';
import type { Db } from '../src/store/db.js';
import { createAgentActivities } from './agent/index.js';
import { createAggregateActivities } from './aggregate.js';
import { createPipelineActivities } from './pipeline.js';
import { createStoreActivities } from './storeActivities.js';
import { createWebhookActivities } from './webhook.js';

export interface ActivityDeps {
  db: Db;
  /** URL of the scripted Messages API, started on first use, for `agent.rehearse` jobs. */
  rehearsalApiUrl: () => Promise<string>;
  /** How the worker admits agents by memory (default: the machine's, no budget). */
  memory?: MemoryLimits;
}

export function createActivities(deps: ActivityDeps) {
  return {
    ...createStoreActivities(deps),
    ...createAgentActivities(deps),
    ...createAggregateActivities(deps),
    ...createPipelineActivities(deps),
    ...createWebhookActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
/** The short Postgres reads and writes the workflows run as local activities. */
export type StoreActivities = ReturnType<typeof createStoreActivities>;
/** The agent activities: one unit's attempt, or a group of short units. */
export type AgentActivities = Pick<Activities, 'runAgent' | 'runAgents'>;
/** The aggregate step's agent run. */
export type AggregateActivities = Pick<Activities, 'runAggregate'>;
/** A pipeline's: making a stage's job, recording the pipeline's state. */
export type PipelineActivities = Pick<Activities, 'createStageJob' | 'recordPipelineState'>;
export type WebhookActivities = Pick<Activities, 'deliverWebhook'>;
