/**
 * A pipeline file: a name and stages, each a job spec plus `needs` (the stages it waits for) and
 * `continueOnFailure`. Validated whole before anything runs: names unique, needs known, no cycle,
 * a `stage` source's upstream among its needs, and every template field one the upstream stage
 * provides (its fields, `result`, `output`, `output.FIELD` of its schema, `upstream_status`).
 * Each error is a UsageError naming the stage.
 */
import { UsageError } from '../errors.js';
import { sourceKind, STAGE_FIELDS } from '../sources/index.js';
import { buildSpec, unitTemplates } from './loadSpec.js';
import { outputFields } from './outputSchema.js';
import { jobSpecSchema, type JobSpec } from './schema.js';
import { TemplateError, validateTemplate } from './template.js';

export interface StageSpec {
  name: string;
  needs: string[];
  /** When this stage ends FAILED or CANCELLED, its dependents still run (else they are SKIPPED). */
  continueOnFailure: boolean;
  spec: JobSpec;
}

export interface PipelineSpec {
  name: string;
  /** In an order where every stage comes after its needs. */
  stages: StageSpec[];
}

/** A spec file with `stages:` is a pipeline. */
export function isPipeline(raw: unknown): boolean {
  return raw !== null && typeof raw === 'object' && 'stages' in raw;
}

const HINT = 'a pipeline is `name:` and `stages:`, a list of job specs each with a name and `needs: [stages]`';

export function buildPipeline(raw: unknown, baseDir: string, origin: string): PipelineSpec {
  const doc = raw as Record<string, unknown>;
  const extra = Object.keys(doc).filter((k) => k !== 'name' && k !== 'stages');
  if (extra.length > 0) throw new UsageError(`${origin}: unknown pipeline field "${extra[0]}"`, HINT);
  const name = jobSpecSchema.shape.name.safeParse(doc.name);
  if (!name.success) throw new UsageError(`${origin}: the pipeline's name: ${name.error.issues[0]!.message}`, HINT);
  if (!Array.isArray(doc.stages) || doc.stages.length === 0)
    throw new UsageError(`${origin}: stages must be a non-empty list of stages`, HINT);

  const parsed = doc.stages.map((stage: unknown, i) => parseStage(stage, i, origin));
  const byName = new Map<string, (typeof parsed)[number]>();
  for (const stage of parsed) {
    if (byName.has(stage.name))
      throw new UsageError(`${origin}: two stages are named ${stage.name}`, 'give each stage its own name');
    byName.set(stage.name, stage);
  }
  for (const stage of parsed) {
    for (const need of stage.needs) {
      if (!byName.has(need)) {
        throw new UsageError(
          `${origin}: stage ${stage.name} needs ${need}, which is not a stage of this pipeline`,
          `its stages: ${[...byName.keys()].join(', ')}`,
        );
      }
    }
    if (stage.from !== null && !stage.needs.includes(stage.from)) {
      throw new UsageError(
        `${origin}: stage ${stage.name} takes its units from stage ${stage.from}, which is not in its needs`,
        `add it: needs: [${[...stage.needs, stage.from].join(', ')}]`,
      );
    }
  }
  const order = topologicalOrder(parsed, origin);

  const built = new Map<string, { spec: JobSpec; fields: readonly string[] | null }>();
  const stages = order.map((stage): StageSpec => {
    const where = `${origin}, stage ${stage.name}`;
    const spec = buildSpec(stage.job, baseDir, where);
    const upstream = stage.from === null ? null : built.get(stage.from)!;
    const fields = upstream ? stageFields(upstream) : sourceKind(spec.source).fields;
    if (upstream && fields) checkTemplates(spec, fields, where);
    built.set(stage.name, { spec, fields });
    return { name: stage.name, needs: stage.needs, continueOnFailure: stage.continueOnFailure, spec };
  });
  return { name: name.data, stages };
}

interface ParsedStage {
  name: string;
  needs: string[];
  continueOnFailure: boolean;
  /** The upstream stage of a `stage` source. */
  from: string | null;
  job: Record<string, unknown>;
}

function parseStage(raw: unknown, index: number, origin: string): ParsedStage {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw))
    throw new UsageError(`${origin}: stage ${index + 1} is not a mapping`, HINT);
  const { needs = [], continueOnFailure = false, ...job } = raw as Record<string, unknown>;
  if (typeof job.name !== 'string' || !job.name)
    throw new UsageError(`${origin}: stage ${index + 1} has no name`, 'give every stage a name: other stages need it');
  const name = job.name;
  if (!Array.isArray(needs) || needs.some((n) => typeof n !== 'string'))
    throw new UsageError(`${origin}: stage ${name}: needs must be a list of stage names`, 'e.g. needs: [summarize]');
  if (typeof continueOnFailure !== 'boolean')
    throw new UsageError(`${origin}: stage ${name}: continueOnFailure must be true or false`);
  const source = job.source as { type?: unknown; from?: unknown } | undefined;
  const from = source?.type === 'stage' && typeof source.from === 'string' ? source.from : null;
  return { name, needs: [...new Set(needs as string[])], continueOnFailure, from, job };
}

/** Stages after their needs (in file order where free); a cycle is an error that shows it. */
function topologicalOrder(stages: ParsedStage[], origin: string): ParsedStage[] {
  const byName = new Map(stages.map((s) => [s.name, s]));
  const order: ParsedStage[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (stage: ParsedStage, path: string[]): void => {
    if (state.get(stage.name) === 'done') return;
    if (state.get(stage.name) === 'visiting') {
      const cycle = [...path.slice(path.indexOf(stage.name)), stage.name];
      throw new UsageError(
        `${origin}: stage ${stage.name} is in a cycle: ${cycle.join(' → ')}`,
        'a stage cannot wait for itself: remove one of these needs',
      );
    }
    state.set(stage.name, 'visiting');
    for (const need of stage.needs) visit(byName.get(need)!, [...path, stage.name]);
    state.set(stage.name, 'done');
    order.push(stage);
  };
  for (const stage of stages) visit(stage, []);
  return order;
}

/** What a stage's units carry from their upstream stage: null when its records decide (CSV, JSONL…). */
function stageFields(upstream: { spec: JobSpec; fields: readonly string[] | null }): readonly string[] | null {
  if (upstream.fields === null) return null;
  const schema = upstream.spec.output?.schema;
  return [...upstream.fields, ...STAGE_FIELDS, ...(schema ? outputFields(schema).map((f) => `output.${f}`) : [])];
}

function checkTemplates(spec: JobSpec, fields: readonly string[], where: string): void {
  for (const { what, template } of unitTemplates(spec)) {
    try {
      validateTemplate(template, fields, what);
    } catch (err) {
      if (err instanceof TemplateError)
        throw new UsageError(`${where}: ${err.message}, which no upstream stage provides`, err.hint);
      throw err;
    }
  }
}
