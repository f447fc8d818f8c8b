/**
 * Fencing: every attempt claims its unit as it starts, in the round trip that reads the unit
 * anyway, and gets a token, the unit's `fence` raised by one. Every write the attempt makes to
 * its unit is conditioned on that token still being the unit's and the unit being unsettled
 * (`HELD`), so once another attempt has claimed it, or the job settled or reset it, a late write
 * from a stale worker changes nothing. (Measured on 2b7a411: a worker frozen with SIGSTOP past
 * its heartbeat timeout, resumed once another had finished the job, put a settled unit back to
 * `running`.) The job's own writes (settle, reset, cancel) raise the fence too.
 *
 * The claim also says whether this execution of the unit already succeeded (the unit's status,
 * or a succeeded attempt of its run key): such a unit is not run again, whatever its attempt
 * number says.
 */
import type { UnitChanges } from '../domain/index.js';
import type { Db } from './db.js';
import { held } from './fence.js';
import { unitColumns, type UnitRow } from './units.js';

/** What a succeeded attempt of this execution gave, when one did. */
export interface DoneRun {
  result: string | null;
  sessionId: string | null;
  output: unknown;
  changes: UnitChanges | null;
}

export interface Claim {
  unit: UnitRow;
  /** The attempt's token, or null when the unit is settled (nothing to claim). */
  fence: number | null;
  /** This execution already succeeded: its result, to settle the unit with instead of running again. */
  done: DoneRun | null;
  /** Attempts of this execution on record: the new one is numbered after them. */
  priorAttempts: number;
}

/** Claims each unit for the attempt running it under `runKey`; a unit not in the database has no claim. */
export async function claimUnits(
  db: Db,
  jobId: string,
  units: readonly { unitId: number; runKey: string }[],
): Promise<Map<number, Claim>> {
  const { rows } = await db.query<
    UnitRow & { claimedFence: number | null; done: DoneRun | null; priorAttempts: number }
  >({
    // Named: planned once per connection, as every attempt's first statement.
    name: 'claim-units',
    text: `WITH wanted AS (SELECT * FROM unnest($2::int[], $3::text[]) AS w(unit_id, run_key)),
     claimed AS (
       UPDATE units SET fence = units.fence + 1 FROM wanted
       WHERE units.job_id = $1 AND units.unit_id = wanted.unit_id AND units.status IN ('pending', 'running')
       RETURNING units.unit_id, units.fence)
     SELECT ${unitColumns('u.')}, claimed.fence AS "claimedFence",
       (SELECT jsonb_build_object('result', a.result, 'sessionId', a.session_id, 'output', a.output, 'changes', a.changes)
        FROM attempts a
        WHERE a.run_key = wanted.run_key AND a.unit_id = wanted.unit_id AND a.finished_at IS NOT NULL
          AND a.error_type IS NULL
        ORDER BY a.id DESC LIMIT 1) AS done,
       (SELECT count(*)::int FROM attempts a WHERE a.run_key = wanted.run_key AND a.unit_id = wanted.unit_id)
         AS "priorAttempts"
     FROM wanted JOIN units u ON u.job_id = $1 AND u.unit_id = wanted.unit_id
     LEFT JOIN claimed ON claimed.unit_id = wanted.unit_id`,
    values: [jobId, units.map((u) => u.unitId), units.map((u) => u.runKey)],
  });
  return new Map(
    rows.map(({ claimedFence, done, priorAttempts, ...unit }) => [
      unit.unitId,
      { unit, fence: claimedFence, done, priorAttempts },
    ]),
  );
}

/**
 * Before a group starts its next unit: is its job paused, and does the group still hold that
 * unit (a group frozen past its heartbeat timeout has been replaced by a newer attempt)? One
 * round trip, at most once a second.
 */
export async function groupMayGoOn(
  db: Db,
  jobId: string,
  unitId: number,
  fence: number,
): Promise<{ paused: boolean; held: boolean }> {
  const { rows } = await db.query<{ paused: boolean; held: boolean }>(
    `SELECT coalesce((SELECT state = 'PAUSED' FROM jobs WHERE id = $1), false) AS paused,
       EXISTS (SELECT 1 FROM units WHERE job_id = $1 AND unit_id = $2 AND ${held('$3')}) AS held`,
    [jobId, unitId, fence],
  );
  return rows[0]!;
}
