/**
 * The job spec: one zod schema. The YAML file and the CLI flags both end up here; errors name
 * the field, the value and the fix. The `source` and `agent` sections are unions assembled from
 * each source kind's and agent adapter's own schema.
 */
import { z } from 'zod';
import { agentSchema, type AgentSpec } from '../agents/index.js';
import { DEFAULT_BREAKER } from '../domain/index.js';
import { sourceSchema, type SourceSpec } from '../sources/index.js';
import type { ResolvedIsolation } from './isolation.js';

const positiveInt = z.number().int().positive();
const SHARE_HINT = 'breaker.share is a fraction of the window, e.g. 0.8';

/** `agent.type` may be left out: it is `claude` unless said otherwise. */
const agentWithDefaultType = z.preprocess(
  (value) =>
    value !== null && typeof value === 'object' && !Array.isArray(value) && !('type' in value)
      ? { type: 'claude', ...value }
      : value,
  agentSchema,
);

export const jobSpecSchema = z.strictObject({
  name: z
    .string()
    .min(1)
    .max(60)
    .regex(
      /^[A-Za-z0-9][A-Za-z0-9._-]*$/,
      'use letters, digits, dot, dash or underscore, starting with a letter or digit',
    ),
  source: sourceSchema,
  prompt: z.string().min(1, 'the prompt is empty'),
  /**
   * What the job should achieve, in words: the agent writes the prompt template from it (and
   * revises it from a rejection's feedback). The prompt it wrote is `prompt`.
   */
  intent: z.string().min(1, 'the intent is empty').max(4000).optional(),
  agent: agentWithDefaultType.default(() => agentSchema.parse({ type: 'claude' })),
  concurrency: positiveInt.max(1000).default(4),
  retries: z.number().int().min(0).max(100).default(3),
  testUnits: z.number().int().min(0).max(100).default(1),
  budgetUsd: z.number().positive().optional(),
  /**
   * Units shorter than 4 s run several to an activity (a Temporal round trip each costs more than
   * such a unit); false keeps one activity per unit, each its own row in the Web UI.
   */
  groupShortUnits: z.boolean().default(true),
  /**
   * Creating a job again with the same key returns the job it created (a retried script, two
   * racing creates); the same key with a different spec is an error.
   */
  idempotencyKey: z.string().min(1).max(200).optional(),
  /**
   * The API's request limit, when known (a provider tier's RPM): units start no faster than this
   * from the first one, so the job's first burst is not refused; the governor adapts from there.
   */
  requestsPerMinute: z.number().positive().max(1_000_000).optional(),
  /**
   * The breaker: when at least `share` of the last `window` settled units failed the same way
   * (error type, exit code), the job pauses with the reason instead of spending on the rest.
   * On by default (20 units, 0.8); false turns it off.
   */
  breaker: z
    .union([
      z.literal(false),
      z.strictObject({
        window: z.number().int().min(2).max(1000).default(DEFAULT_BREAKER.window),
        share: z.number().gt(0, SHARE_HINT).max(1, SHARE_HINT).default(DEFAULT_BREAKER.share),
      }),
    ])
    .optional(),
  /**
   * 1 (first) to 5 (last), default 3: when jobs share workers, the units of jobs with a lower
   * number start first (Temporal's task-queue priority, among jobs that set one).
   */
  priority: z.number().int().min(1).max(5).optional(),
  /**
   * From creation: when it passes, no unit starts, running ones get a short grace and are
   * stopped, unfinished units end expired and the job EXPIRED (e.g. 24h, 90m, 30s).
   */
  expiresAfter: z
    .string()
    .regex(/^\d+(\.\d+)?(s|m|h|d)$/, 'expiresAfter is a duration such as 30s, 90m, 24h or 7d')
    .optional(),
  /**
   * POSTed the job's status when it needs approval and when it ends, signed with the secret in
   * the worker's environment variable `secretEnv` (the secret itself is never in the spec).
   */
  webhook: z
    .strictObject({
      url: z.url({ protocol: /^https?$/, error: 'webhook.url must be an http(s) URL' }),
      secretEnv: z
        .string()
        .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'webhook.secretEnv names an environment variable, e.g. WEBHOOK_SECRET')
        .optional(),
    })
    .optional(),
  /**
   * Structured output: each unit's agent answers with an object this JSON Schema describes
   * (inline, or in `schemaFile`, read when the job is created), checked and kept with the result.
   */
  output: z
    .strictObject({
      schema: z.record(z.string(), z.unknown()).optional(),
      schemaFile: z.string().min(1).optional(),
    })
    .refine((o) => (o.schema === undefined) !== (o.schemaFile === undefined), {
      error: 'output needs exactly one of schema (inline) and schemaFile (a path)',
    })
    .optional(),
  /**
   * A check run in the unit's working directory after the agent succeeded (its arguments are
   * templates). Exit 0: the unit succeeds. Otherwise the agent continues its session with the
   * check's output, up to `attempts` times, and then the unit fails as VerifyFailed.
   */
  verify: z
    .strictObject({
      command: z.array(z.string().min(1)).min(1, 'verify.command is the program and its arguments, e.g. [npm, test]'),
      timeoutSeconds: positiveInt.max(86_400).default(300),
      attempts: z.number().int().min(0).max(10).default(2),
    })
    .optional(),
  /**
   * Each unit's agent works in its own git worktree, on its own branch from `base` (default
   * HEAD); after success (and verify) its changes are committed there and the branch is kept
   * for `apply`. `repo` defaults to the repository holding the agent's working directory,
   * `branch` is the branches' prefix (default agentic-batch/<job>).
   */
  isolation: z
    .strictObject({
      type: z.literal('worktree'),
      repo: z.string().min(1).optional(),
      base: z.string().min(1).default('HEAD'),
      branch: z.string().min(1).optional(),
    })
    .optional(),
  /**
   * One more agent run after every unit has settled, with its own retries: its prompt may use
   * {{results_file}} (a JSONL file of the succeeded units' results and outputs), {{succeeded}},
   * {{failed}} and {{total}}; its result is the job's report. The agent defaults to the job's.
   */
  aggregate: z
    .strictObject({
      prompt: z.string().min(1, 'aggregate.prompt is empty'),
      agent: agentWithDefaultType.optional(),
    })
    .optional(),
});

/** What an aggregate prompt (and its agent's arguments) may use. */
export const AGGREGATE_FIELDS = ['results_file', 'succeeded', 'failed', 'total'] as const;

const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** `expiresAfter` (checked by the schema: `90m`, `24h`…) in milliseconds. */
export function durationMs(text: string): number {
  const unit = text.at(-1) as keyof typeof UNIT_MS;
  return Number(text.slice(0, -1)) * UNIT_MS[unit];
}

export type JobSpec = Omit<z.output<typeof jobSpecSchema>, 'source' | 'agent' | 'isolation' | 'aggregate'> & {
  source: SourceSpec;
  agent: AgentSpec;
  /** Its agent resolved when the job is created (buildSpec): the job's, unless it has its own. */
  aggregate?: { prompt: string; agent: AgentSpec };
  /** Resolved when the job is created (buildSpec). */
  isolation?: ResolvedIsolation;
};
export type { AgentSpec, SourceSpec };
