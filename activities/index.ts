/**
 * All activities, built from their dependencies so tests and the worker inject the pool, the
 * agent binary and the rehearsal API. The workflows import only the type.
 */
import type { Db } from '../src/store/db.js';
import { createRunAgent } from './runAgent.js';
import { createStoreActivities } from './storeActivities.js';

export interface ActivityDeps {
  db: Db;
  /** The agent binary when neither the spec nor the unit names one. */
  defaultAgentBin: string;
  /** URL of the scripted Messages API, started on first use, for `agent.rehearse` jobs. */
  rehearsalApiUrl: () => Promise<string>;
}

export function createActivities(deps: ActivityDeps) {
  return {
    ...createStoreActivities(deps),
    runAgent: createRunAgent(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
