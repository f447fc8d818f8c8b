/**
 * The job's rate-limit governor: how many units may run at once, learned from how the API answers
 * them. The workflow owns it, so it holds across every worker of the job, and carries it through
 * continue-as-new. Pure: the workflow passes the time in.
 *
 * Measured before it existed: 60 units at concurrency 16 against an API admitting 2 requests a
 * second took 89 s instead of 30 (0.33 of the allowed rate) with 35 requests refused, because
 * each unit backed off on its own while the job kept starting new ones.
 *
 * - A rate-limited attempt (429) cuts, at most once per burst (attempts already in flight when
 *   it was cut say nothing new), the limit on running units to CUT × what ran, and paces starts
 *   at PACE_CUT × the rate the API admitted over the last few seconds: with units shorter than
 *   the API's window even one unit at a time is too fast, so the pace is what holds them. The
 *   first refusal holds every start for the retry delay while the admitted ones report, and the
 *   pace is learned from them when the hold ends (a job's first burst is refused at once, before
 *   anything was admitted; without the hold its retries made a second burst).
 * - Each success adds GROWTH / limit to the limit (about GROWTH units per round of units). The
 *   pace regains PACE_REGAIN of its gap to NEAR_CEILING × the rate admitted at the last refusal
 *   (the ceiling), then grows PACE_GROWTH of itself a second, more the longer nothing was
 *   refused: the job runs just under what the API admitted and probes slowly above it, so it
 *   stays near the allowed rate with few refusals, and regains a pace learned too low. (A
 *   halving cut averaged 0.75 of the rate; probing from 0.9 without the ceiling, 0.83 with a
 *   refusal in every 12 starts.)
 * - A refused unit waits before its retry: the API's retry-after when it gave one, else a second
 *   that doubles with each refusal of that unit (capped at a minute).
 * - An overloaded API (529) also holds every new start for that wait, without cutting the limit:
 *   the API is busy, not refusing this job.
 * - Slow start, for agents that say when the API first answered them (claude): a job that knows
 *   nothing of the API starts SLOW_START units and one more for each unit the API admits, so the
 *   limit doubles every first response until `concurrency` or the first refusal. Without it a
 *   job's first burst was refused at once for all but R of its units (14 of 16 at 2 requests/s),
 *   before anything could be learned. It costs about one first response per doubling.
 */

export type ThrottleKind = 'rateLimited' | 'overloaded' | 'usageLimited';

export interface GovernorState {
  /** Units that may run at once; fractional, so growth can be slower than one unit per success. */
  limit: number;
  /** No unit starts before this (epoch ms): an overloaded API's back-off. */
  holdUntil: number;
  /** When the limit was last cut (epoch ms). */
  cutAt: number;
  /** When throttled attempts ended, in the last minute, oldest first (for status). */
  recent: number[];
  /** Units started per second at most, once the API refused some (null: no pace). */
  pace: number | null;
  /** When the last unit started (epoch ms), for the pace. */
  lastStartAt: number;
  /** When attempts the API admitted ended, in the last few seconds, oldest first. */
  admitted: number[];
  /** The pace is to be learned when the current hold ends (the first refusal). */
  learning: boolean;
  /** The fastest pace: the API's limit when the spec declares it (`requestsPerMinute`). */
  maxPace: number;
  /** Slow start: the limit grows by one per admitted unit until `concurrency` or a refusal (absent: false). */
  slowStart?: boolean;
  /** The rate (units/s) the API admitted when it last refused: the pace regains it quickly (absent: none yet). */
  ceiling?: number | null;
}

const CUT = 0.7;
const GROWTH = 0.3;
const PACE_CUT = 0.9;
const PACE_GROWTH = 0.005;
const PACE_REGAIN = 0.2;
/** Where the pace settles under the ceiling, or under a declared limit: requests reach the API with jitter. */
const NEAR_CEILING = 0.95;
/** Admissions are counted over this long to learn the pace. */
const ADMITTED_WINDOW_MS = 2000;
/** The longer the API has not refused anything, the faster the pace climbs: its growth doubles every CALM_MS, at most MAX_CALM_DOUBLINGS times. */
const CALM_MS = 5000;
const MAX_CALM_DOUBLINGS = 4;
const MAX_PACE = 1000;
const BASE_BACKOFF_MS = 1000;
const MAX_BACKOFF_MS = 60_000;
const WINDOW_MS = 60_000;
/** Enough to say "N in the last minute" at any plausible rate, and still small in history. */
const MAX_RECENT = 500;
/** Units a slow-starting job runs before the API has admitted any: at 1 request/s, one is refused (4: 3 of them, 17% of a 40-unit job's requests). */
export const SLOW_START = 2;
/** The signal a unit's activity sends the job when the API first answered it, in slow start. */
export const UNIT_ADMITTED_SIGNAL = 'unitAdmitted';

/**
 * A job's governor; with the API's declared limit it paces from the start, so no first burst is
 * refused; otherwise, if the agent reports admissions, it starts slowly.
 */
export function newGovernor(
  concurrency: number,
  requestsPerMinute: number | null = null,
  reportsAdmission = false,
): GovernorState {
  const declared = requestsPerMinute === null ? null : requestsPerMinute / 60;
  const slowStart = declared === null && reportsAdmission && concurrency > SLOW_START;
  return {
    limit: slowStart ? SLOW_START : concurrency,
    slowStart,
    holdUntil: 0,
    cutAt: 0,
    recent: [],
    pace: declared === null ? null : declared * NEAR_CEILING,
    lastStartAt: 0,
    admitted: [],
    learning: false,
    maxPace: declared === null ? MAX_PACE : declared * NEAR_CEILING,
    ceiling: null,
  };
}

/** Units that may run now, given the job's concurrency. */
export function allowedRunning(g: GovernorState, concurrency: number): number {
  return Math.max(1, Math.min(concurrency, Math.floor(g.limit)));
}

/** When the next unit may start (epoch ms): at once, unless a hold or the pace says later. */
export function nextStartAt(g: GovernorState): number {
  return Math.max(g.holdUntil, g.pace === null ? 0 : g.lastStartAt + 1000 / g.pace);
}

/** A unit (or a group) starts at `at`; the first after a refusal's hold sets the pace. */
export function onStart(g: GovernorState, at: number): GovernorState {
  if (g.learning) {
    const ceiling = admittedRate(g, at);
    return { ...g, learning: false, pace: ceiling === null ? 1 : PACE_CUT * ceiling, ceiling, lastStartAt: at };
  }
  return g.pace === null ? g : { ...g, lastStartAt: at };
}

/** What the API admitted lately, per second over at least a second, or null if nothing. */
function admittedRate(g: GovernorState, now: number): number | null {
  const admitted = g.admitted.filter((at) => at > now - ADMITTED_WINDOW_MS);
  if (admitted.length === 0) return null;
  return admitted.length / (Math.max(1000, now - admitted[0]!) / 1000);
}

/** The API answered a unit's attempt for the first time: in slow start, one more unit may run. */
export function onAdmitted(g: GovernorState, concurrency: number): GovernorState {
  if (!g.slowStart) return g;
  const limit = Math.min(concurrency, g.limit + 1);
  return { ...g, limit, slowStart: limit < concurrency };
}

/** A unit's attempt ended without being throttled. */
export function onSuccess(g: GovernorState, concurrency: number, now: number): GovernorState {
  // Kept before any refusal too: the first refusal learns the pace from them.
  const admitted = [...g.admitted.filter((at) => at > now - ADMITTED_WINDOW_MS), now].slice(-MAX_RECENT);
  if (g.recent.length === 0) return { ...g, admitted }; // never refused: nothing to regain (a declared pace stays)
  return {
    ...g,
    limit: Math.min(concurrency, g.limit + GROWTH / Math.max(1, g.limit)),
    pace: g.pace === null ? null : Math.min(g.maxPace, grownPace(g, g.pace, now)),
    admitted,
  };
}

/** Quickly back to just under the ceiling, then slowly above it, faster the longer nothing is refused. */
function grownPace(g: GovernorState, pace: number, now: number): number {
  // PACE_GROWTH a second, whatever the pace: grown per success, it raced ahead at 5 units/s.
  const calm = 2 ** Math.min(MAX_CALM_DOUBLINGS, (now - g.cutAt) / CALM_MS);
  const probed = pace * (1 + (PACE_GROWTH * calm) / Math.max(1, pace));
  return Math.max(probed, pace + PACE_REGAIN * ((g.ceiling ?? 0) * NEAR_CEILING - pace));
}

export interface Throttle {
  kind: ThrottleKind;
  now: number;
  /** When the attempt started: one that started before the last cut ran under the old limit. */
  startedAt: number;
  /** How many units were running when it was throttled (the cut applies to what really ran). */
  running: number;
  /** The API's retry-after, if it said. */
  retryAfterMs: number | null;
  /** How many times the API has refused this unit, this one included. */
  unitThrottles: number;
}

/** A unit's attempt was throttled: the new state, and when that unit may try again (epoch ms). */
export function onThrottle(g: GovernorState, t: Throttle): { governor: GovernorState; retryAt: number } {
  const recent = [...g.recent.filter((at) => at > t.now - WINDOW_MS), t.now].slice(-MAX_RECENT);
  const backoff = Math.min(MAX_BACKOFF_MS, BASE_BACKOFF_MS * 2 ** Math.min(t.unitThrottles - 1, 16));
  const retryAt = t.now + (t.retryAfterMs ?? backoff);
  let { limit, cutAt, holdUntil, pace, learning, slowStart, ceiling = null } = g;
  if (t.kind === 'rateLimited' && t.startedAt >= g.cutAt) {
    limit = Math.max(1, Math.min(limit, t.running) * CUT);
    cutAt = t.now;
    slowStart = false;
    if (pace === null) {
      learning = true;
      holdUntil = Math.max(holdUntil, retryAt);
    } else {
      // Refused at this pace: regain just under it. The admitted rate lags a rising pace, so it
      // cuts deeper for a moment (the API's window drains) but does not set the ceiling.
      ceiling = pace;
      pace = PACE_CUT * Math.min(pace, admittedRate(g, t.now) ?? pace);
      // The API counts requests over a window: until it has passed, what starts is refused too.
      holdUntil = Math.max(holdUntil, t.now + (t.retryAfterMs ?? BASE_BACKOFF_MS));
    }
  }
  if (t.kind === 'overloaded') holdUntil = Math.max(holdUntil, retryAt);
  const governor = { ...g, limit, cutAt, holdUntil, recent, pace, learning, slowStart, ceiling };
  return { governor, retryAt };
}

/** Throttled attempts in the minute before `now`. */
export function throttledLastMinute(g: GovernorState, now: number): number {
  return g.recent.filter((at) => at > now - WINDOW_MS).length;
}

/** What `status` says while the governor holds the job back, or null when it does not. */
export function describeThrottling(g: GovernorState, now: number, running: number, concurrency: number): string | null {
  const recent = throttledLastMinute(g, now);
  const allowed = allowedRunning(g, concurrency);
  if (g.slowStart && recent === 0) {
    return `slow start: running ${Math.min(running, allowed)} of ${concurrency}, one more for each unit the API admits`;
  }
  if (recent === 0 && allowed >= concurrency && g.holdUntil <= now) return null;
  const pace = g.pace === null ? '' : `, starting ${g.pace.toFixed(g.pace < 10 ? 1 : 0)} units/s`;
  const held = g.holdUntil > now ? `, holding new units for ${Math.ceil((g.holdUntil - now) / 1000)}s` : '';
  const requests = `${recent} rate-limited request${recent === 1 ? '' : 's'} in the last minute`;
  return `throttled: running ${Math.min(running, allowed)} of ${concurrency} (${requests}${pace}${held})`;
}
