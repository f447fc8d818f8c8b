/**
 * The agent activities: one unit's attempt (`runAgent`), or a group of short units run one after
 * another (`runAgents`). Only a small summary goes back to the workflow; results and
 * conversations stay in Postgres. Their inputs and outputs are a contract with every workflow
 * version still running (workflows/job/): change them only by adding optional fields.
 */
import { Context } from '@temporalio/activity';
import { MemoryGate } from '../../src/agents/memoryGate.js';
import type { UnitOutcome } from '../../src/domain/index.js';
import { claimUnits } from '../../src/store/claims.js';
import type { ActivityDeps } from '../index.js';
import { WholeAttemptWriter } from '../wholeAttemptWriter.js';
import { UnitAttempt, type AttemptInput } from './attempt.js';
import { runGroup, type RunAgentsInput } from './group.js';
import { JobData } from './jobData.js';
import { MemoryAdmission } from './memoryWait.js';
import { activityOutcome, type AttemptResult } from './results.js';
import { resultOf } from './stop.js';

/**
 * How long a grouped unit's record may wait to be written with others': at 16 groups of 100 ms
 * units, about a dozen a statement.
 */
const RECORD_BATCH_MS = 100;

export type { RunAgentsInput };

export interface RunAgentInput extends AttemptInput {
  /** Sent by version 1 of the workflow; unused: attempts are numbered from Postgres's record. */
  priorAttempts?: number;
  /** Wait this long before starting: the job's pace, finer than its timers. */
  startDelayMs?: number;
}

export function createAgentActivities(deps: ActivityDeps) {
  const attemptDeps = {
    db: deps.db,
    jobData: new JobData(deps.db),
    rehearsalApiUrl: deps.rehearsalApiUrl,
    writer: new WholeAttemptWriter(deps.db, RECORD_BATCH_MS),
    admission: new MemoryAdmission(new MemoryGate(deps.memory), deps.db),
  };

  async function runAgent(input: RunAgentInput): Promise<UnitOutcome> {
    const ctx = Context.current();
    const { attempt } = ctx.info;
    if (input.startDelayMs && attempt === 1) await ctx.sleep(input.startDelayMs);
    let result: AttemptResult;
    try {
      const claim = (await claimUnits(deps.db, input.jobId, [input])).get(input.unitId);
      const unitAttempt = new UnitAttempt(attemptDeps, ctx, input, claim);
      result = await (await unitAttempt.start()).result;
    } catch (err) {
      result = resultOf(err, () => null);
    }
    return activityOutcome(input, result, attempt);
  }

  function runAgents(input: RunAgentsInput) {
    return runGroup(attemptDeps, input);
  }

  return { runAgent, runAgents };
}
