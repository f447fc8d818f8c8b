/**
 * The one typed way to read a job's stored spec. It was parsed and resolved (buildSpec) when the
 * job was created — by this build or an earlier one, so a field added since may be missing:
 * readers give such fields their defaults (an agent's `limits`: `outputLimits`).
 */
import type { JobSpec } from './schema.js';

export function storedSpec(job: { spec: unknown }): JobSpec {
  return job.spec as JobSpec;
}
