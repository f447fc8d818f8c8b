import { describe, expect, it } from '@jest/globals';
import {
  allowedRunning,
  describeThrottling,
  newGovernor,
  nextStartAt,
  onAdmitted,
  onStart,
  onSuccess,
  onThrottle,
  throttledLastMinute,
  SLOW_START,
  type GovernorState,
  type Throttle,
} from '../../src/domain/index.js';

const T0 = 1_700_000_000_000;
const refused = (over: Partial<Throttle> = {}): Throttle => ({
  kind: 'rateLimited',
  now: T0,
  startedAt: T0 - 1000,
  running: 16,
  retryAfterMs: null,
  unitThrottles: 1,
  ...over,
});
const succeed = (g: GovernorState, times: number[], concurrency = 16): GovernorState =>
  times.reduce((acc, at) => onSuccess(acc, concurrency, at), g);

describe('the rate-limit governor', () => {
  it('lets the whole concurrency run, unpaced, until the API refuses something', () => {
    const g = newGovernor(16);
    expect(allowedRunning(g, 16)).toBe(16);
    expect(nextStartAt(g)).toBe(0);
    expect(onStart(g, T0)).toBe(g);
    expect(onSuccess(g, 16, T0)).toMatchObject({ limit: 16, pace: null, admitted: [T0] });
    expect(describeThrottling(g, T0, 16, 16)).toBeNull();
  });

  it('starts slowly when the agent reports admissions: SLOW_START units, one more per admitted unit, to the concurrency', () => {
    let g = newGovernor(16, null, true);
    expect(allowedRunning(g, 16)).toBe(SLOW_START);
    expect(describeThrottling(g, T0, SLOW_START, 16)).toBe(
      `slow start: running ${SLOW_START} of 16, one more for each unit the API admits`,
    );
    for (let i = 0; i < 16 - SLOW_START - 1; i++) g = onAdmitted(g, 16);
    expect(allowedRunning(g, 16)).toBe(15);
    expect(g.slowStart).toBe(true);
    g = onAdmitted(g, 16);
    expect(allowedRunning(g, 16)).toBe(16);
    expect(g.slowStart).toBe(false);
    expect(onAdmitted(g, 16)).toBe(g); // done: admissions change nothing
    expect(describeThrottling(g, T0, 16, 16)).toBeNull();
  });

  it('ends slow start at the first refusal, cutting what ran, and learns the pace as without it', () => {
    let g = newGovernor(32, null, true);
    for (let i = 0; i < 6 - SLOW_START; i++) g = onAdmitted(g, 32); // 6 may run
    const { governor } = onThrottle(g, refused({ running: 6 }));
    expect(governor.slowStart).toBe(false);
    expect(allowedRunning(governor, 32)).toBe(4); // 0.7 × 6
    expect(governor.learning).toBe(true);
    expect(onAdmitted(governor, 32)).toBe(governor);
  });

  it('does not start slowly with a declared limit, a concurrency within SLOW_START, or an agent that cannot say', () => {
    expect(newGovernor(16, 120, true).slowStart).toBe(false);
    expect(allowedRunning(newGovernor(SLOW_START, null, true), SLOW_START)).toBe(SLOW_START);
    expect(newGovernor(SLOW_START, null, true).slowStart).toBe(false);
    expect(allowedRunning(newGovernor(16, null, false), 16)).toBe(16);
  });

  it('with the API limit declared, paces from the first unit just under it, and never above', () => {
    let g = newGovernor(16, 120);
    expect(g.pace).toBeCloseTo(1.9); // 0.95 × 2/s: requests reach the API with some jitter
    g = onStart(g, T0);
    expect(nextStartAt(g)).toBeCloseTo(T0 + 1000 / 1.9);
    g = onThrottle(g, refused({ now: T0 + 600, startedAt: T0 })).governor;
    expect(g.pace).toBeLessThan(1.9);
    g = succeed(
      g,
      Array.from({ length: 500 }, (_, i) => T0 + 1000 + i * 500),
    );
    expect(g.pace).toBeCloseTo(1.9);
  });

  it('on the first refusal cuts the limit, holds every start, and learns the pace from what was admitted meanwhile', () => {
    const { governor: held, retryAt } = onThrottle(newGovernor(16), refused());
    expect(allowedRunning(held, 16)).toBe(11); // 16 × 0.7
    expect(retryAt).toBe(T0 + 1000);
    expect(nextStartAt(held)).toBe(T0 + 1000);
    // The same burst: attempts started before the cut say nothing new.
    const sameBurst = onThrottle(held, refused({ now: T0 + 50, startedAt: T0 - 900 })).governor;
    expect(sameBurst.limit).toBe(held.limit);
    expect(throttledLastMinute(sameBurst, T0 + 50)).toBe(2);
    // Two admitted attempts report during the hold: the API admits about 2 a second.
    const admitted = succeed(sameBurst, [T0 + 300, T0 + 400]);
    const paced = onStart(admitted, T0 + 1000);
    expect(paced.pace).toBeCloseTo(1.8); // 0.9 × 2/s
    expect(paced.ceiling).toBeCloseTo(2);
    expect(nextStartAt(paced)).toBeCloseTo(T0 + 1000 + 1000 / 1.8);
  });

  it('counts what the API admitted before the first refusal too (a slow start ramps up to it)', () => {
    const ramped = succeed(newGovernor(32, null, true), [T0 - 1000, T0 - 500, T0]);
    const { governor } = onThrottle(ramped, refused({ running: 6 }));
    // Three admitted from a second before the refusal to the hold's end, half a second after it: 2/s.
    expect(onStart(governor, T0 + 500).pace).toBeCloseTo(1.8);
  });

  it('paces at one a second when nothing was admitted during the hold', () => {
    const held = onThrottle(newGovernor(8), refused()).governor;
    expect(onStart(held, T0 + 1000).pace).toBe(1);
  });

  it("once paced, a refusal cuts the pace to 0.9 × the admitted rate, holds starts for the API's window, and marks the pace refused", () => {
    let g = onStart(succeed(onThrottle(newGovernor(16), refused()).governor, [T0 + 500, T0 + 600]), T0 + 1000);
    g = succeed(g, [T0 + 2000, T0 + 2300, T0 + 2600, T0 + 2900, T0 + 3200, T0 + 3500]);
    const { governor } = onThrottle(g, refused({ now: T0 + 3600, startedAt: T0 + 3500, running: 2 }));
    // 6 admitted over the last 2 s (from T0 + 2000 within the window's 1.6 s span, at least a second).
    expect(governor.pace).toBeCloseTo(0.9 * Math.min(g.pace!, 6 / 1.6));
    expect(governor.holdUntil).toBe(T0 + 4600); // a second: the unit's retry delay
    expect(governor.ceiling).toBe(g.pace);
    expect(allowedRunning(governor, 16)).toBe(1);
  });

  it('never runs fewer than one unit at a time', () => {
    let g: GovernorState = newGovernor(4);
    for (let i = 0; i < 20; i++) g = onThrottle(g, refused({ now: T0 + i * 1000, startedAt: T0 + i * 1000 })).governor;
    expect(allowedRunning(g, 4)).toBe(1);
  });

  it('climbs back as units succeed, the limit slowly and the pace faster the longer nothing is refused', () => {
    let g = onThrottle(newGovernor(16), refused({ running: 10 })).governor;
    expect(allowedRunning(g, 16)).toBe(7);
    g = succeed(
      g,
      Array.from({ length: 7 }, () => T0 + 500),
    );
    expect(allowedRunning(g, 16)).toBe(7); // about 0.3 of a unit per round of 7 successes
    g = onStart(g, T0 + 1000);
    // 7 admitted over 1 s: paced at 0.9 × 7/s, it regains a fifth of its gap to 0.95 × 7/s per success.
    expect(g.pace).toBeCloseTo(6.3);
    const regained = succeed(g, [T0 + 1500]).pace!;
    expect(regained).toBeCloseTo(6.3 + 0.2 * (6.65 - 6.3));
    g = succeed(
      g,
      Array.from({ length: 30 }, (_, i) => T0 + 1100 + i),
    );
    expect(g.pace).toBeGreaterThan(6.64);
    // Above it, it probes: 0.5% a second (a success of `pace` a second adds 0.5% / pace), doubling
    // every 5 s without a refusal, at most 4 times.
    const pace = g.pace!;
    const soon = succeed(g, [T0 + 1500]).pace!;
    const calm = succeed(g, [T0 + 16_000]).pace!;
    const calmer = succeed(g, [T0 + 60_000]).pace!;
    expect(soon / pace).toBeCloseTo(1 + (0.005 * 2 ** (1500 / 5000)) / pace, 5); // 1.5 s after the cut
    expect(calm / pace).toBeCloseTo(1 + (0.005 * 2 ** (16_000 / 5000)) / pace, 5); // 16 s calm: doubled 3.2 times
    expect(calmer / pace).toBeCloseTo(1 + (0.005 * 2 ** 4) / pace, 5);
    g = succeed(
      g,
      Array.from({ length: 5000 }, (_, i) => T0 + 2000 + i * 10),
    );
    expect(g.limit).toBe(16);
  });

  it("honours the API's retry-after, else waits a second that doubles with each refusal of the unit", () => {
    expect(onThrottle(newGovernor(8), refused({ retryAfterMs: 7000 })).retryAt).toBe(T0 + 7000);
    expect(onThrottle(newGovernor(8), refused()).retryAt).toBe(T0 + 1000);
    expect(onThrottle(newGovernor(8), refused({ unitThrottles: 4 })).retryAt).toBe(T0 + 8000);
    expect(onThrottle(newGovernor(8), refused({ unitThrottles: 40 })).retryAt).toBe(T0 + 60_000);
  });

  it('an overloaded API holds every new start for the wait, without cutting the limit or pacing', () => {
    const { governor } = onThrottle(newGovernor(8), refused({ kind: 'overloaded', retryAfterMs: 3000 }));
    expect(governor.limit).toBe(8);
    expect(governor.pace).toBeNull();
    expect(nextStartAt(governor)).toBe(T0 + 3000);
    expect(describeThrottling(governor, T0 + 1000, 8, 8)).toBe(
      'throttled: running 8 of 8 (1 rate-limited request in the last minute, holding new units for 2s)',
    );
  });

  it('a usage limit neither cuts nor holds: the job pauses until the reset', () => {
    const { governor, retryAt } = onThrottle(
      newGovernor(8),
      refused({ kind: 'usageLimited', retryAfterMs: 3_600_000 }),
    );
    expect(governor.limit).toBe(8);
    expect(governor.holdUntil).toBe(0);
    expect(retryAt).toBe(T0 + 3_600_000);
  });

  it('says how it holds the job back, and forgets refusals after a minute', () => {
    let g = newGovernor(16);
    for (let i = 0; i < 12; i++) g = onThrottle(g, refused({ now: T0 + i * 100 })).governor;
    g = onStart(g, T0 + 1000);
    expect(describeThrottling(g, T0 + 2000, 9, 16)).toBe(
      'throttled: running 9 of 16 (12 rate-limited requests in the last minute, starting 1.0 units/s)',
    );
    expect(throttledLastMinute(g, T0 + 61_200)).toBe(0);
  });
});
