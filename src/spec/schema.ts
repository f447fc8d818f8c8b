/**
 * The job spec: one zod schema, in one place. The YAML file and the CLI flags both end up here;
 * errors name the field, the value and the fix.
 */
import { z } from 'zod';

const positiveInt = z.number().int().positive();

export const filesSourceSchema = z.strictObject({
  type: z.literal('files'),
  glob: z.union([z.string().min(1, 'the glob is empty'), z.array(z.string().min(1)).min(1)]),
  cwd: z.string().min(1).default('.'),
  exclude: z.array(z.string().min(1)).default([]),
  limit: positiveInt.optional(),
});

export const sourceSchema = z.discriminatedUnion('type', [filesSourceSchema]);

export const PERMISSION_MODES = ['default', 'acceptEdits', 'bypassPermissions', 'plan', 'dontAsk'] as const;

export const agentSchema = z.strictObject({
  type: z.literal('claude').default('claude'),
  /** Path of the agent binary; default: CLAUDE_BIN, else the bundled @anthropic-ai/claude-code. */
  bin: z.string().min(1).optional(),
  model: z.string().min(1).optional(),
  maxTurns: positiveInt.optional(),
  allowedTools: z.array(z.string().min(1)).optional(),
  disallowedTools: z.array(z.string().min(1)).optional(),
  permissionMode: z.enum(PERMISSION_MODES).optional(),
  /** `unit` adds each unit's own directory (`--add-dir`); a list adds those directories to every unit. */
  addDirs: z.union([z.literal('unit'), z.array(z.string().min(1))]).optional(),
  appendSystemPrompt: z.string().min(1).optional(),
  /** Working directory of the agent; default: the source's directory. */
  cwd: z.string().min(1).optional(),
  /** Per unit and attempt (`--max-budget-usd`). */
  maxBudgetUsd: z.number().positive().optional(),
  timeoutSeconds: positiveInt.default(600),
  /** An agent silent this long is killed and the attempt retried. */
  idleTimeoutSeconds: positiveInt.default(300),
  /** A worker silent this long is presumed dead and the attempt retried elsewhere. */
  heartbeatTimeoutSeconds: positiveInt.default(30),
  /** First retry delay; it doubles each attempt, capped at 5 minutes. */
  retryDelaySeconds: positiveInt.default(2),
  /** Resume the failed attempt's session (`--resume`) instead of starting over. */
  resumeOnRetry: z.boolean().default(false),
  /** Run against the bundled scripted Messages API instead of the real one: free and offline. */
  rehearse: z.boolean().default(false),
  env: z.record(z.string(), z.string()).default({}),
  extraArgs: z.array(z.string()).default([]),
});

export const jobSpecSchema = z.strictObject({
  name: z
    .string()
    .min(1)
    .max(60)
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'use letters, digits, dot, dash or underscore, starting with a letter or digit'),
  source: sourceSchema,
  prompt: z.string().min(1, 'the prompt is empty'),
  agent: agentSchema.default(() => agentSchema.parse({})),
  concurrency: positiveInt.max(1000).default(4),
  retries: z.number().int().min(0).max(100).default(3),
  testUnits: z.number().int().min(0).max(100).default(1),
  budgetUsd: z.number().positive().optional(),
});

export type JobSpec = z.output<typeof jobSpecSchema>;
export type AgentSpec = z.output<typeof agentSchema>;
export type SourceSpec = z.output<typeof sourceSchema>;
export type FilesSourceSpec = z.output<typeof filesSourceSchema>;
