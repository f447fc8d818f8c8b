/**
 * Everything an attempt needs before its agent starts, read once: the job's spec and template,
 * the unit's record rendered into the prompt, where the agent works. A template that does not
 * render for the unit fails it for good; a job or unit missing from the database, too.
 */
import type { AgentKind } from '../../src/agents/agent.js';
import { agentKind, type AgentSpec } from '../../src/agents/index.js';
import { AGENT_ERROR_TYPES } from '../../src/domain/index.js';
import { sourceKind } from '../../src/sources/index.js';
import type { JobSpec } from '../../src/spec/schema.js';
import { renderTemplate, TemplateError, type TemplateUnit } from '../../src/spec/template.js';
import type { UnitRow } from '../../src/store/units.js';
import type { JobData } from './jobData.js';
import { failed } from './results.js';
import { AttemptStop } from './stop.js';
import { mapPaths, pathInWorktree, unitWorktree, type UnitWorktree } from './workspace.js';

export interface AttemptPlan {
  spec: JobSpec;
  agent: AgentSpec;
  kind: AgentKind<AgentSpec>;
  unit: UnitRow;
  prompt: string;
  render: (template: string) => string;
  worktree: UnitWorktree | null;
  /** The agent's working directory (in the unit's worktree, when it has one). */
  cwd: string;
  unitDirectory: string | null;
  outputSchema: Record<string, unknown> | null;
  /** Variables the job names as its secrets, whatever they are called: kept from its agent. */
  jobSecrets: string[];
}

export async function planAttempt(
  jobData: JobData,
  input: { jobId: string; unitId: number; templateVersion: number },
  unit: UnitRow | undefined,
): Promise<AttemptPlan> {
  const [spec, text] = await Promise.all([
    jobData.spec(input.jobId),
    jobData.template(input.jobId, input.templateVersion),
  ]);
  if (!spec || !unit || text === null) {
    throw new AttemptStop(
      failed('JobMissing', `unit ${input.unitId} of job ${input.jobId} is not in the database`, false),
    );
  }
  const agent = spec.agent;
  const source = sourceKind(spec.source);
  // Resolved when the job was created; a job stored before agents had their own cwd used the source's.
  const jobCwd = agent.cwd ?? source.workingDirectory?.(spec.source) ?? process.cwd();
  const worktree = spec.isolation ? unitWorktree(spec.isolation, input.jobId, unit) : null;
  // In a worktree, the unit's paths into the repository lead into its worktree.
  const inWorkspace = (p: string): string => (worktree ? pathInWorktree(worktree, p) : p);
  const templateUnit: TemplateUnit = {
    key: unit.key,
    index: unit.unitId,
    payload: worktree ? mapPaths(unit.payload, inWorkspace) : unit.payload,
  };
  const render = (template: string): string => {
    try {
      return renderTemplate(template, templateUnit);
    } catch (err) {
      if (err instanceof TemplateError)
        throw new AttemptStop(failed(AGENT_ERROR_TYPES.badTemplate, err.message, false));
      throw err;
    }
  };
  return {
    spec,
    agent,
    kind: agentKind(agent),
    unit,
    prompt: render(text),
    render,
    worktree,
    cwd: inWorkspace(jobCwd),
    unitDirectory: source.unitDirectory?.(templateUnit.payload) ?? null,
    outputSchema: spec.output?.schema ?? null,
    jobSecrets: jobSecretNames(spec),
  };
}

export function jobSecretNames(spec: JobSpec): string[] {
  const names = [spec.webhook?.secretEnv, spec.source.type === 'sql' ? spec.source.urlEnv : undefined];
  return names.filter((name): name is string => !!name);
}
