/**
 * The prompt synthesizer: the agent writes a job's prompt template from the spec's intent, the
 * source's field names and three sample records, or revises it from a rejection's feedback and
 * the failed test units. The template it answers with (structured output) is checked against the
 * source's fields before anyone sees it. It runs the job's agent when that is claude (else a
 * default claude); a rehearsing agent gets a scripted API of its own, whose model answers with a
 * deterministic template.
 */
import { agentKind, agentSchema, runAgentOnce, type AgentSpec } from '../agents/index.js';
import { UserError } from '../errors.js';
import { startScriptedApi } from '../rehearsal/scriptedApi.js';
import { sourceKind, unitsOf, type ReadContext } from '../sources/index.js';
import type { JobSpec } from '../spec/schema.js';
import { SYNTHESIS_SCHEMA, synthesisPrompt, type SynthesisInput } from '../spec/synthesisPrompt.js';
import { missingPlaceholder, placeholdersIn, TemplateError, validateTemplate } from '../spec/template.js';
import { asUsageError } from './createJob.js';

export interface Samples {
  /** The placeholders the source offers (its fixed fields, or the samples' fields). */
  fields: readonly string[];
  samples: { key: string; payload: Record<string, unknown> }[];
}

/** Sample records and the fields they offer: the source's fixed ones, else the records' own. */
export function samplesOf(spec: JobSpec, samples: Samples['samples']): Samples {
  return {
    fields: sourceKind(spec.source).fields ?? [...new Set(samples.flatMap((s) => Object.keys(s.payload)))],
    samples,
  };
}

/** The source's first three records, and its fields. */
export async function sourceSamples(spec: JobSpec, read: ReadContext): Promise<Samples> {
  const samples: Samples['samples'] = [];
  await asUsageError(async () => {
    for await (const unit of unitsOf(sourceKind(spec.source), { ...spec.source, limit: 3 }, read))
      samples.push({ key: unit.key, payload: unit.payload });
  });
  return samplesOf(spec, samples);
}

/** The template the agent writes for `spec.intent` (or revises), checked against the samples. */
export async function synthesizeTemplate(
  spec: JobSpec,
  samples: Samples,
  revision?: SynthesisInput['revision'],
): Promise<string> {
  if (!spec.intent) throw new UserError('the job has no intent to write a prompt from');
  const agent = synthesisAgent(spec.agent);
  const api = agentKind(agent).rehearses?.(agent) ? await startScriptedApi() : null;
  try {
    const { verdict } = await runAgentOnce(
      agent,
      {
        prompt: synthesisPrompt({ intent: spec.intent, ...samples, revision }),
        render: (t) => t,
        unitDirectory: null,
        resumeSessionId: null,
        rehearsalUrl: api?.url ?? null,
        outputSchema: SYNTHESIS_SCHEMA,
      },
      { cwd: agent.cwd ?? process.cwd(), signal: AbortSignal.timeout(agent.timeoutSeconds * 1000) },
    );
    if (verdict.failure) {
      throw new UserError(
        `the agent could not write the prompt: ${verdict.failure.type}: ${verdict.failure.message}`,
        'try again, or give the prompt yourself with --prompt',
      );
    }
    const template = templateOf(verdict.output ?? verdict.result);
    checkTemplate(template, samples);
    return template;
  } finally {
    await api?.close();
  }
}

/** claude writes prompts: the job's own when it runs claude (its model, its rehearsal), else a default one. */
function synthesisAgent(agent: AgentSpec): AgentSpec {
  return agent.type === 'claude' ? agent : agentSchema.parse({ type: 'claude', cwd: agent.cwd });
}

function templateOf(answer: unknown): string {
  let value = answer;
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value);
    } catch {
      // Not JSON: no template in it.
    }
  }
  const template = (value as { template?: unknown } | null)?.template;
  if (typeof template !== 'string' || !template.trim()) {
    throw new UserError(
      'the agent answered without a prompt template',
      'try again, or give the prompt yourself with --prompt',
    );
  }
  return template;
}

/** Its syntax, and every placeholder filled by every sample (nested fields too). */
function checkTemplate(template: string, { samples }: Samples): void {
  try {
    validateTemplate(template, null, 'the prompt the agent wrote');
  } catch (err) {
    if (err instanceof TemplateError)
      throw new UserError(`${err.message}`, 'try again, reword --intent, or give the prompt yourself with --prompt');
    throw err;
  }
  const names = placeholdersIn(template);
  for (const sample of samples) {
    const missing = missingPlaceholder(names, sample.payload);
    if (missing !== null) {
      throw new UserError(
        `the prompt the agent wrote uses {{${missing}}}, which the record ${sample.key} does not have`,
        'try again, reword --intent, or give the prompt yourself with --prompt',
      );
    }
  }
}
