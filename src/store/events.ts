/** The conversation events of an attempt: appended as they arrive, read a page at a time. */
import type { Db } from './db.js';

/** A conversation event ready to store: its JSON made once, and the time it arrived (epoch ms). */
export interface TimedEvent {
  type: string;
  subtype: string | null;
  /** The event's data as JSON (made with pgJson). */
  json: string;
  at: number;
}

export interface EventRow {
  seq: number;
  type: string;
  subtype: string | null;
  data: Record<string, unknown>;
  receivedAt: Date;
}

/** Events as four parallel arrays (type, subtype, data, arrival time), for `unnest`. */
export function eventParams(events: readonly TimedEvent[]): unknown[] {
  return [events.map((e) => e.type), events.map((e) => e.subtype), events.map((e) => e.json), events.map((e) => e.at)];
}

/** Append events numbered from `firstSeq`, as they arrived (usually one; a burst in one insert). */
export async function appendEvents(
  db: Db,
  attemptId: number,
  firstSeq: number,
  events: readonly TimedEvent[],
): Promise<void> {
  if (events.length === 0) return;
  await db.query(
    `INSERT INTO events (attempt_id, seq, type, subtype, data, received_at)
     SELECT $1, $2::int + ord::int - 1, type, subtype, data, to_timestamp(at / 1000)
     FROM unnest($3::text[], $4::text[], $5::jsonb[], $6::float8[]) WITH ORDINALITY AS e(type, subtype, data, at, ord)
     ON CONFLICT (attempt_id, seq) DO NOTHING`,
    [attemptId, firstSeq, ...eventParams(events)],
  );
}

/** A page of an attempt's events after `afterSeq`, in order; or, with `last`, its last ones. */
export async function listEvents(
  db: Db,
  attemptId: number,
  page: { afterSeq?: number; limit?: number; last?: boolean } = {},
): Promise<EventRow[]> {
  const { rows } = await db.query<EventRow>(
    `SELECT seq, type, subtype, data, received_at AS "receivedAt" FROM events
     WHERE attempt_id = $1 AND seq > $2 ORDER BY seq ${page.last ? 'DESC' : ''} LIMIT $3`,
    [attemptId, page.afterSeq ?? 0, page.limit ?? null],
  );
  return page.last ? rows.reverse() : rows;
}

/** How many events each attempt has (one index-only count per attempt). */
export async function countEvents(db: Db, attemptIds: readonly number[]): Promise<Map<number, number>> {
  const { rows } = await db.query<{ attemptId: string; n: number }>(
    `SELECT attempt_id AS "attemptId", count(*)::int AS n FROM events WHERE attempt_id = ANY($1::bigint[]) GROUP BY attempt_id`,
    [attemptIds],
  );
  return new Map(rows.map((r) => [Number(r.attemptId), r.n]));
}
