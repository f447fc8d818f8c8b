/**
 * What a job runs, from its spec: the settings its workflow starts with, and its units as the
 * source streams them, each checked against every template. Shared by `create` (the client) and
 * a pipeline's stages (created by the worker when their turn comes).
 */
import path from 'node:path';
import { agentKind } from '../agents/index.js';
import { DEFAULT_BREAKER, type JobSettings, type NewUnit } from '../domain/index.js';
import { UsageError } from '../errors.js';
import { sourceKind, unitsOf, type ReadContext, type SourceKind } from '../sources/index.js';
import { realDir } from './isolation.js';
import { durationMs, type JobSpec } from './schema.js';
import { missingPlaceholder, placeholdersIn } from './template.js';

export function jobSettings(jobId: string, spec: JobSpec, totalUnits: number): JobSettings {
  return {
    jobId,
    name: spec.name,
    totalUnits,
    concurrency: spec.concurrency,
    testUnits: spec.testUnits,
    budgetUsd: spec.budgetUsd ?? null,
    requestsPerMinute: spec.requestsPerMinute ?? null,
    agentReportsAdmission: agentKind(spec.agent).reportsAdmission === true,
    priority: spec.priority ?? null,
    breaker: spec.breaker === false ? null : (spec.breaker ?? DEFAULT_BREAKER),
    // From now: a retried job gets its whole expiresAfter again.
    expiresAt: spec.expiresAfter ? Date.now() + durationMs(spec.expiresAfter) : null,
    // A reference, not the URL: the delivery reads that from the stored spec.
    webhook: spec.webhook ? (spec.webhook.secretEnv ? { secretEnv: spec.webhook.secretEnv } : {}) : null,
    aggregate: spec.aggregate
      ? {
          timeoutSeconds: spec.aggregate.agent.timeoutSeconds,
          heartbeatTimeoutSeconds: spec.aggregate.agent.heartbeatTimeoutSeconds,
          maxAttempts: spec.retries + 1,
          retryInitialIntervalSeconds: spec.aggregate.agent.retryDelaySeconds,
        }
      : null,
    unit: {
      // A unit's activity runs its check too, and each repair with its own check.
      timeoutSeconds: spec.verify
        ? (spec.agent.timeoutSeconds + spec.verify.timeoutSeconds) * (1 + spec.verify.attempts)
        : spec.agent.timeoutSeconds,
      heartbeatTimeoutSeconds: spec.agent.heartbeatTimeoutSeconds,
      maxAttempts: spec.retries + 1,
      retryInitialIntervalSeconds: spec.agent.retryDelaySeconds,
      // A checked unit is not short: its check may take longer than the agent.
      groupShortUnits: spec.groupShortUnits && !spec.verify,
    },
  };
}

/**
 * The source's units, each checked against every template of the spec: when the source's
 * fields come from its records, the first record without a placeholder's field stops it all.
 * With `isolation: worktree`, a unit whose file lies outside the repository stops it too: its
 * agent would edit the original, with no isolation at all.
 */
export function checkedUnits(spec: JobSpec, read: ReadContext): AsyncGenerator<NewUnit> {
  const kind = sourceKind(spec.source);
  const templates = [
    { what: 'the prompt', template: spec.prompt },
    ...(agentKind(spec.agent).templates?.(spec.agent) ?? []),
  ];
  const uses = templates.flatMap(({ what, template }) => placeholdersIn(template).map((name) => ({ name, what })));
  const names = uses.map((u) => u.name);
  const check = (unit: NewUnit): void => {
    const missing = missingPlaceholder(names, unit.payload);
    if (missing === null) return;
    const where = uses.find((u) => u.name === missing)!.what;
    const fields = Object.keys(unit.payload);
    throw new UsageError(
      `the record at ${unit.origin} (key ${JSON.stringify(unit.key)}) has no field "${missing}" for {{${missing}}} in ${where}`,
      fields.length
        ? `its fields: ${fields.slice(0, 15).join(', ')}${fields.length > 15 ? ', …' : ''}`
        : 'the record is empty',
    );
  };
  const checks = [kind.fields === null ? check : null, insideRepository(spec, kind)].filter((c) => c !== null);
  return unitsOf(kind, spec.source, read, checks.length ? (unit) => checks.forEach((c) => c(unit)) : undefined);
}

function insideRepository(spec: JobSpec, kind: SourceKind<JobSpec['source']>): ((unit: NewUnit) => void) | null {
  const repo = spec.isolation?.repo;
  if (!repo || !kind.unitDirectory) return null;
  return (unit) => {
    const dir = kind.unitDirectory!(unit.payload);
    if (dir === null || within(repo, dir) || within(repo, realDir(dir))) return;
    throw new UsageError(
      `the unit ${JSON.stringify(unit.key)} (${unit.origin}) is outside the repository ${repo}: with isolation: worktree its agent would edit the original file, not its worktree's copy`,
      'put the files in the repository (or point isolation.repo at the one that holds them), or drop isolation',
    );
  };
}

function within(root: string, p: string): boolean {
  const relative = path.relative(root, p);
  return !relative.startsWith('..') && !path.isAbsolute(relative);
}
