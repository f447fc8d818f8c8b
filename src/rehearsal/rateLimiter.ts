/**
 * The scripted API's global rate limit: at most N requests in any one-second window, over all
 * callers, as a provider's requests-per-minute limit behaves at small scale. A refused request
 * learns when a slot frees (whole seconds, as `retry-after` carries it).
 */
export class RateLimiter {
  /** Admission times within the last second, oldest first. */
  private readonly admitted: number[] = [];
  private refusedCount = 0;

  constructor(private readonly perSecond: number) {
    if (!Number.isInteger(perSecond) || perSecond < 1)
      throw new Error(`a rate limit must be a positive integer, not ${perSecond}`);
  }

  /** Admit a request at `now` (ms), or say how many seconds until one would be. */
  take(now: number): { admitted: true } | { admitted: false; retryAfterSeconds: number } {
    while (this.admitted.length > 0 && this.admitted[0]! <= now - 1000) this.admitted.shift();
    if (this.admitted.length < this.perSecond) {
      this.admitted.push(now);
      return { admitted: true };
    }
    this.refusedCount++;
    return { admitted: false, retryAfterSeconds: Math.max(1, Math.ceil((this.admitted[0]! + 1000 - now) / 1000)) };
  }

  get refused(): number {
    return this.refusedCount;
  }
}
