/**
 * The breaker: a job whose units keep failing the same way pauses itself instead of running the
 * rest into the same wall (a spec error, a revoked key, a broken check: every unit pays for the
 * same failure). It trips when, among the last `window` settled units of the batch, at least
 * `share` failed with the same signature: the error type, with the exit code when the agent
 * exited with one. A full window is needed: a job of 5 units with 4 failures does not trip.
 * Pure: the job workflow keeps the state and asks.
 */

export interface BreakerSettings {
  /** How many of the last settled units are looked at (default 20). */
  window: number;
  /** The share of them failing the same way that trips it (default 0.8). */
  share: number;
}

export const DEFAULT_BREAKER: BreakerSettings = { window: 20, share: 0.8 };

/** A settled unit, as the breaker remembers it: how it failed (null: it succeeded). */
export interface BreakerEntry {
  signature: string | null;
  /** The failure's text, cut short: the pause message quotes the latest one. */
  error: string | null;
}

export interface BreakerTrip {
  signature: string;
  failed: number;
  window: number;
  /** The latest failure of that signature, as it read. */
  sample: string;
  /** When it tripped (ISO 8601). */
  at: string;
}

export interface BreakerState {
  recent: BreakerEntry[];
  /** `resume --ignore-breaker`: it never trips again in this job. */
  ignored: boolean;
  /** Why it last paused the job, until the job is resumed. */
  tripped: BreakerTrip | null;
}

/** What status shows of it: the settings, and whether it tripped or is ignored. */
export interface BreakerStatus extends BreakerSettings, Omit<BreakerState, 'recent'> {}

const SAMPLE_CHARS = 200;

export function newBreaker(): BreakerState {
  return { recent: [], ignored: false, tripped: null };
}

/** "AgentFailed: sh exited with code 3: disk full" → "AgentFailed (exit 3)"; "VerifyFailed: …" → "VerifyFailed". */
export function failureSignature(error: string | null): string {
  const text = error ?? 'failed';
  const type = /^([A-Za-z][A-Za-z0-9_]*): /.exec(text)?.[1] ?? 'failed';
  const exit = /exited with code (\d+)/.exec(text)?.[1];
  return exit === undefined ? type : `${type} (exit ${exit})`;
}

/** A batch unit settled: remember how (cancelled and expired units say nothing of the spec). */
export function onUnitSettled(
  state: BreakerState,
  settings: BreakerSettings,
  unit: { status: string; error: string | null },
): BreakerState {
  if (unit.status !== 'succeeded' && unit.status !== 'failed') return state;
  const entry: BreakerEntry =
    unit.status === 'succeeded'
      ? { signature: null, error: null }
      : { signature: failureSignature(unit.error), error: (unit.error ?? 'failed').slice(0, SAMPLE_CHARS) };
  return { ...state, recent: [...state.recent, entry].slice(-settings.window) };
}

/** Whether the last window trips it, and on what (null: go on). */
export function breakerTrip(state: BreakerState, settings: BreakerSettings, now: number): BreakerTrip | null {
  if (state.ignored || state.recent.length < settings.window) return null;
  const counts = new Map<string, number>();
  for (const { signature } of state.recent)
    if (signature !== null) counts.set(signature, (counts.get(signature) ?? 0) + 1);
  const [signature, failed] = [...counts].sort((a, b) => b[1] - a[1])[0] ?? [null, 0];
  if (signature === null || failed < Math.ceil(settings.share * settings.window)) return null;
  const sample = [...state.recent].reverse().find((e) => e.signature === signature)?.error ?? signature;
  return { signature, failed, window: settings.window, sample, at: new Date(now).toISOString() };
}

/** The job's message while the breaker holds it. */
export function describeTrip(trip: BreakerTrip): string {
  return (
    `${trip.failed} of the last ${trip.window} units failed with ${trip.sample}; ` +
    'fix the spec and resume, or resume --ignore-breaker'
  );
}

/** A resumed job starts a fresh window (else the same window trips it again at once). */
export function onResumed(state: BreakerState, ignore: boolean): BreakerState {
  return { recent: [], ignored: state.ignored || ignore, tripped: null };
}
