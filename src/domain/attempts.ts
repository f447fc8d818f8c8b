/** What an agent attempt reported, whatever its outcome: the adapters say it, the store keeps it. */
export interface AttemptReport {
  sessionId: string | null;
  result: string | null;
  isError: boolean | null;
  subtype: string | null;
  terminalReason: string | null;
  apiErrorStatus: number | null;
  numTurns: number | null;
  costUsd: number;
  /** As the agent measured it, if it did; else the process's wall time. */
  durationMs: number | null;
  toolsUsed: string[];
  /** The structured output the agent gave (claude's `structured_output`), when it has its own. */
  output?: unknown;
}
