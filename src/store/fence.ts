/** The fencing rule every attempt's write to its unit is conditioned on (claims.ts says why). */

/** SQL: the unit (of `units`, unqualified) is still held by the attempt whose token is parameter `fence`. */
export const held = (fence: string): string => `fence = ${fence} AND status IN ('pending', 'running')`;
