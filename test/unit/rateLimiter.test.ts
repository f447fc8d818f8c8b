/** The scripted API's global rate limit. */
import { describe, expect, it } from '@jest/globals';
import { RateLimiter } from '../../src/rehearsal/rateLimiter.js';

describe('RateLimiter', () => {
  it('admits N requests in a second and refuses the next with retry-after', () => {
    const limiter = new RateLimiter(2);
    expect(limiter.take(0)).toEqual({ admitted: true });
    expect(limiter.take(100)).toEqual({ admitted: true });
    expect(limiter.take(200)).toEqual({ admitted: false, retryAfterSeconds: 1 });
    expect(limiter.refused).toBe(1);
  });

  it('frees a slot one second after an admission, not before', () => {
    const limiter = new RateLimiter(1);
    expect(limiter.take(1000)).toEqual({ admitted: true });
    expect(limiter.take(1999).admitted).toBe(false);
    expect(limiter.take(2000)).toEqual({ admitted: true });
  });

  it('holds the rate over a long run', () => {
    const limiter = new RateLimiter(5);
    let admitted = 0;
    for (let t = 0; t < 10_000; t += 10) if (limiter.take(t).admitted) admitted++;
    expect(admitted).toBe(50);
    expect(limiter.refused).toBe(950);
  });

  it('refuses a limit that is not a positive integer', () => {
    expect(() => new RateLimiter(0)).toThrow(/positive integer/);
    expect(() => new RateLimiter(1.5)).toThrow(/positive integer/);
  });
});
