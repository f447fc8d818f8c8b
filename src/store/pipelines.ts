/** Pipelines, and the jobs of their stages. */
import type { UnitStatus } from '../domain/index.js';
import type { Db } from './db.js';
import { pgJson, pgText } from './pgSafe.js';
import { snapshotPages } from './snapshotPages.js';

export interface PipelineRow {
  id: string;
  name: string;
  spec: unknown;
  state: string;
  message: string | null;
  createdAt: Date;
}

export async function insertPipeline(db: Db, p: { id: string; name: string; spec: unknown }): Promise<void> {
  await db.query('INSERT INTO pipelines (id, name, spec) VALUES ($1, $2, $3)', [p.id, p.name, pgJson(p.spec)]);
}

export async function deletePipeline(db: Db, id: string): Promise<void> {
  await db.query('DELETE FROM pipelines WHERE id = $1', [id]);
}

export async function getPipeline(db: Db, id: string): Promise<PipelineRow | null> {
  const { rows } = await db.query<PipelineRow>(
    'SELECT id, name, spec, state, message, created_at AS "createdAt" FROM pipelines WHERE id = $1',
    [id],
  );
  return rows[0] ?? null;
}

export async function recordPipelineState(db: Db, id: string, state: string, message: string | null): Promise<void> {
  await db.query('UPDATE pipelines SET state = $2, message = $3, updated_at = now() WHERE id = $1', [
    id,
    state,
    pgText(message),
  ]);
}

/** An upstream unit as a downstream stage reads it. */
export interface UpstreamUnit {
  key: string;
  origin: string | null;
  payload: Record<string, unknown>;
  result: string | null;
  output: unknown;
  status: UnitStatus;
}

/** A stage job's units in a status, in unit order, from one snapshot. */
export async function* streamUpstreamUnits(db: Db, jobId: string, status: UnitStatus): AsyncGenerator<UpstreamUnit> {
  const pages = snapshotPages<UpstreamUnit>(
    db,
    'SELECT key, origin, payload, result, output, status FROM units WHERE job_id = $1 AND status = $2 ORDER BY unit_id',
    [jobId, status],
    1000,
  );
  for await (const page of pages) yield* page;
}
