/**
 * The `stage` source, in a pipeline: one unit per unit of an upstream stage in a status (default
 * succeeded), with the upstream key, and a payload of the upstream payload plus `result`,
 * `output` (its structured output) and `upstream_status`. The records come from the pipeline
 * (ReadContext.upstream), which reads them from the upstream stage's job; its fields are the
 * upstream's, which the pipeline checks when it is validated.
 */
import { z } from 'zod';
import { UNIT_STATUSES } from '../../domain/index.js';
import { commonSourceFields, SourceError, type SourceKind } from '../source.js';

/** What a stage unit adds to its upstream unit's fields. */
export const STAGE_FIELDS = ['result', 'output', 'upstream_status'] as const;

export const stageSourceSchema = z.strictObject({
  type: z.literal('stage'),
  /** The upstream stage's name; it must be in the stage's `needs`. */
  from: z.string().min(1, 'name the upstream stage'),
  status: z.enum(UNIT_STATUSES).default('succeeded'),
  ...commonSourceFields,
});
export type StageSourceSpec = z.output<typeof stageSourceSchema>;

export const stageSource: SourceKind<StageSourceSpec> = {
  type: 'stage',
  schema: stageSourceSchema,
  // The upstream stage's fields: known from the pipeline, not from this section alone.
  fields: null,

  resolve: (spec) => spec,

  async check(spec, ctx) {
    if (!ctx.upstream) throw outsidePipeline(spec);
  },

  read(spec, ctx) {
    if (!ctx.upstream) throw outsidePipeline(spec);
    return ctx.upstream(spec.from, spec.status);
  },

  empty(spec) {
    return new SourceError(
      `stage ${spec.from} has no ${spec.status} units to go on with`,
      spec.status === 'succeeded'
        ? 'see why with `agentic-batch units JOB --status failed` on its job'
        : `use status: succeeded, or another status the upstream units have`,
    );
  },

  describe: (spec) => `the ${spec.status} units of stage ${spec.from}`,
};

function outsidePipeline(spec: StageSourceSpec): SourceError {
  return new SourceError(
    `source type stage (from ${spec.from}) only works inside a pipeline`,
    'write a pipeline file with `stages:`, each stage a job spec with `needs`',
  );
}
