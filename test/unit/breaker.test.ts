/** The breaker's rule (src/domain/breaker.ts): what trips it, what does not, and what it says. */
import { describe, expect, it } from '@jest/globals';
import {
  breakerTrip,
  describeTrip,
  failureSignature,
  newBreaker,
  onResumed,
  onUnitSettled,
  type BreakerState,
} from '../../src/domain/index.js';

const settings = { window: 20, share: 0.8 };
const NOW = Date.parse('2026-12-03T12:00:00Z');

function settle(outcomes: (string | null)[], state: BreakerState = newBreaker()): BreakerState {
  for (const error of outcomes)
    state = onUnitSettled(
      state,
      settings,
      error === null ? { status: 'succeeded', error } : { status: 'failed', error },
    );
  return state;
}

const times = <T>(n: number, value: T): T[] => Array.from({ length: n }, () => value);
const denied = 'AgentPermissionDenied: the tool Write was denied';

describe('the breaker', () => {
  it('reads a failure by its type, and by its exit code when the agent exited with one', () => {
    expect(failureSignature('AgentFailed: sh exited with code 3: disk full')).toBe('AgentFailed (exit 3)');
    expect(failureSignature('AgentFailed: sh exited with code 4: disk full')).toBe('AgentFailed (exit 4)');
    expect(failureSignature('VerifyFailed: npm test failed: 3 tests')).toBe('VerifyFailed');
    expect(failureSignature('the agent was killed')).toBe('failed');
    expect(failureSignature(null)).toBe('failed');
  });

  it('trips at 16 of the last 20 failing the same way, and says so with the latest one', () => {
    const state = settle([...times(4, null), ...times(16, denied)]);
    const trip = breakerTrip(state, settings, NOW);
    expect(trip).toEqual({
      signature: 'AgentPermissionDenied',
      failed: 16,
      window: 20,
      sample: denied,
      at: '2026-12-03T12:00:00.000Z',
    });
    expect(describeTrip(trip!)).toBe(
      `16 of the last 20 units failed with ${denied}; fix the spec and resume, or resume --ignore-breaker`,
    );
  });

  it('does not trip on 15 of 20, on a window not yet full, or on failures of different kinds', () => {
    expect(breakerTrip(settle([...times(5, null), ...times(15, denied)]), settings, NOW)).toBeNull();
    expect(breakerTrip(settle(times(19, denied)), settings, NOW)).toBeNull();
    const mixed = settle([
      ...times(10, 'AgentFailed: sh exited with code 1'),
      ...times(10, 'AgentFailed: sh exited with code 2'),
    ]);
    expect(breakerTrip(mixed, settings, NOW)).toBeNull();
  });

  it('looks only at the last window: old failures age out as units succeed', () => {
    const recovered = settle([...times(16, denied), ...times(5, null)]);
    expect(recovered.recent).toHaveLength(20);
    expect(breakerTrip(recovered, settings, NOW)).toBeNull();
  });

  it('ignores cancelled and expired units (they say nothing of the spec)', () => {
    let state = settle(times(19, denied));
    state = onUnitSettled(state, settings, { status: 'cancelled', error: 'cancelled' });
    expect(state.recent).toHaveLength(19);
    expect(breakerTrip(state, settings, NOW)).toBeNull();
  });

  it('a resume starts a fresh window; an ignored breaker never trips again', () => {
    const tripped = settle(times(20, denied));
    expect(breakerTrip(tripped, settings, NOW)).not.toBeNull();
    const resumed = onResumed({ ...tripped, tripped: breakerTrip(tripped, settings, NOW) }, false);
    expect(resumed).toEqual({ recent: [], ignored: false, tripped: null });
    const ignored = settle(times(20, denied), onResumed(tripped, true));
    expect(breakerTrip(ignored, settings, NOW)).toBeNull();
    // A later plain resume keeps it ignored.
    expect(onResumed(ignored, false).ignored).toBe(true);
  });

  it('keeps each failure short: 200 characters of it', () => {
    const long = `AgentFailed: ${'x'.repeat(10_000)}`;
    expect(settle([long]).recent[0]!.error).toHaveLength(200);
  });
});
