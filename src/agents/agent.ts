/**
 * The agent seam: an adapter owns its CLI's command line, environment, output parsing and error
 * classification; the activity, the workflow and the CLI know only this. Each adapter lives in
 * its own folder and is one line of the registry in `index.ts`; the run policy (timeouts,
 * heartbeats, retry delay) is common and declared here.
 */
import { z } from 'zod';
import {
  AGENT_ERROR_TYPES,
  NON_RETRYABLE_AGENT_ERRORS,
  type AgentErrorType,
  type AttemptReport,
} from '../domain/index.js';
import { refusedPassEnv } from './agentEnv.js';
import { DEFAULT_MAX_LINE_LENGTH, type AgentProcessOutcome } from './process.js';

const positiveInt = z.number().int().positive();

/**
 * What an attempt reads and keeps of its agent's output. Past `events` / `eventBytes` the
 * attempt goes on and its events are summarised (first nine tenths and last tenth kept); past
 * `outputBytes` the agent is stopped and the unit fails as OutputTooLarge, not retried.
 */
export const DEFAULT_OUTPUT_LIMITS = {
  /** Characters of one line; a longer one is cut there and marked. */
  lineLength: DEFAULT_MAX_LINE_LENGTH,
  events: 10_000,
  /** Bytes of the kept events' JSON. */
  eventBytes: 10_000_000,
  /** Everything the agent writes, stdout and stderr: 256 MiB, far past any conversation measured. */
  outputBytes: 256 * 1024 * 1024,
};
export type OutputLimits = typeof DEFAULT_OUTPUT_LIMITS;

const outputLimitsSchema = z.strictObject({
  lineLength: positiveInt.min(1024).default(DEFAULT_OUTPUT_LIMITS.lineLength),
  events: positiveInt.min(10).default(DEFAULT_OUTPUT_LIMITS.events),
  eventBytes: positiveInt.min(10_000).default(DEFAULT_OUTPUT_LIMITS.eventBytes),
  outputBytes: positiveInt.min(1024).default(DEFAULT_OUTPUT_LIMITS.outputBytes),
});

/** How the process runner bounds an agent of this spec: silence, line length, output. */
export function processBounds(spec: RunPolicy): {
  idleTimeoutMs: number;
  maxLineLength: number;
  maxOutputBytes: number;
} {
  const limits = outputLimits(spec);
  return {
    idleTimeoutMs: spec.idleTimeoutSeconds * 1000,
    maxLineLength: limits.lineLength,
    maxOutputBytes: limits.outputBytes,
  };
}

/** What an adapter's verdict needs to know of how its process ended. */
export function processFacts(outcome: AgentProcessOutcome, bin: string, spec: RunPolicy): ProcessFacts {
  return {
    ...outcome,
    bin,
    idleTimeoutSeconds: spec.idleTimeoutSeconds,
    maxOutputBytes: outputLimits(spec).outputBytes,
  };
}

/** The run policy's fields an attempt reads from a stored spec (one stored before `limits` lacks them). */
type RunPolicy = { idleTimeoutSeconds: number; limits?: Partial<OutputLimits> };

/** An agent's limits; a spec stored before they existed has none, and gets the defaults. */
export function outputLimits(spec: { limits?: Partial<OutputLimits> }): OutputLimits {
  return { ...DEFAULT_OUTPUT_LIMITS, ...spec.limits };
}

/** Fields every adapter accepts: where and how long an attempt runs, and how it is retried. */
export const runPolicyFields = {
  /** The program to run; default: the adapter's own (CLAUDE_BIN, the bundled binary, …). */
  bin: z.string().min(1).optional(),
  /** Working directory of the agent; default: the source's directory (or the spec's). */
  cwd: z.string().min(1).optional(),
  env: z.record(z.string(), z.string()).default({}),
  /** The worker's variables this agent gets although they look like secrets (agentEnv.ts), by name. */
  passEnv: z
    .array(
      z
        .string()
        .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name')
        .refine((name) => !refusedPassEnv(name), { error: (issue) => refusedPassEnv(String(issue.input)) ?? '' }),
    )
    .default([]),
  timeoutSeconds: positiveInt.default(600),
  /** An agent silent this long is killed and the attempt retried. */
  idleTimeoutSeconds: positiveInt.default(300),
  /** A worker silent this long is presumed dead and the attempt retried elsewhere. */
  heartbeatTimeoutSeconds: positiveInt.default(30),
  /** First retry delay; it doubles each attempt, capped at 5 minutes. */
  retryDelaySeconds: positiveInt.default(2),
  limits: outputLimitsSchema.prefault({}),
};

/** What an attempt needs to know about its unit and its worker. */
export interface AttemptContext {
  /** The unit's own directory, when its source has one (a file's folder). */
  unitDirectory: string | null;
  prompt: string;
  /** Render another of the spec's templates (a command argument) for this unit. */
  render: (template: string) => string;
  /** Continue this session instead of starting a new one (`resumeOnRetry`). */
  resumeSessionId: string | null;
  /** Base URL of the worker's scripted model APIs, when the spec rehearses. */
  rehearsalUrl: string | null;
  /** Directories outside its working directory the agent must be able to read (an aggregate's results file). */
  readDirs?: readonly string[];
  /** The spec's output schema: an adapter that can ask its agent for it does (claude's --json-schema). */
  outputSchema?: Record<string, unknown> | null;
}

/** The process to start for one attempt. */
export interface Invocation {
  bin: string;
  args: string[];
  env: Record<string, string>;
  /** Written to the agent's stdin, which is then closed; null: stdin is closed at once. */
  stdin: string | null;
}

/** One conversation event, stored as it arrives. */
export interface AgentEvent {
  type: string;
  subtype?: string | null;
  data: unknown;
}

/** How the agent process ended, as the process runner saw it, and what it ran. */
export interface ProcessFacts extends AgentProcessOutcome {
  bin: string;
  idleTimeoutSeconds: number;
  /** The output limit it was held to (`limits.outputBytes`). */
  maxOutputBytes?: number;
}

export interface AgentFailure {
  type: AgentErrorType;
  retryable: boolean;
  message: string;
  /** When the error says when to try again (retry-after). */
  nextRetryDelayMs?: number;
  /** When the error says the API opens again (a usage limit's reset), epoch ms. */
  retryAt?: number;
}

export type AttemptVerdict = AttemptReport & { failure: AgentFailure | null };

/** Reads one attempt's output as it arrives and judges it at the end. */
export interface AttemptParser {
  /** Conversation events from complete stdout lines, in order. */
  stdout(lines: readonly string[]): AgentEvent[];
  /** Conversation events from complete stderr lines (most adapters keep only the tail). */
  stderr?(lines: readonly string[]): AgentEvent[];
  /** The agent's final word has arrived (claude's result line): it gets a short grace to exit. */
  finished(): boolean;
  /** The session so far, for heartbeats and for resuming a failed attempt. */
  sessionId(): string | null;
  /** The model API has answered this attempt (its first response arrived): what slow start waits for. */
  admitted?(): boolean;
  verdict(facts: ProcessFacts): AttemptVerdict;
}

export interface AgentKind<Spec extends { type: string; bin?: string }> {
  type: Spec['type'];
  schema: z.ZodType<Spec>;
  /** How to get the program when it is missing. */
  installHint: string;
  /** The program a job with this spec runs: checked before the job is created. */
  program(spec: Spec, env: NodeJS.ProcessEnv): string;
  /** Templates besides the prompt that are rendered per unit (command arguments), to check like it. */
  templates?(spec: Spec): { what: string; template: string }[];
  /** Does the spec ask to run against the worker's scripted model API (`rehearse`)? */
  rehearses?(spec: Spec): boolean;
  /** Do its parsers say when the model API first answered (`admitted`)? Then a job starts slowly. */
  reportsAdmission?: boolean;
  /** Does a retry continue the failed attempt's session (`resumeOnRetry`)? */
  resumesOnRetry?(spec: Spec): boolean;
  /** Make the spec's relative paths absolute against `baseDir`. */
  resolve?(spec: Spec, baseDir: string): Spec;
  /** The command line and a fresh parser for one attempt. */
  start(spec: Spec, ctx: AttemptContext, env: NodeJS.ProcessEnv): { invocation: Invocation; parser: AttemptParser };
}

/** A failure of `type`: retryable unless it is of a type that never is. */
export function failure(type: AgentErrorType, message: string, nextRetryDelayMs?: number): AgentFailure {
  return { type, message, retryable: !NON_RETRYABLE_AGENT_ERRORS.includes(type), nextRetryDelayMs };
}

/** What every adapter says the same way: the program could not start, or went silent and was killed. */
export function processFailure(facts: ProcessFacts, installHint: string): AgentFailure | null {
  const spawn = facts.spawnError;
  if (spawn && (spawn.code === 'ENOENT' || spawn.code === 'EACCES')) {
    return failure(
      AGENT_ERROR_TYPES.binaryMissing,
      `agent binary ${facts.bin} cannot be run (${spawn.code}): ${installHint}`,
    );
  }
  if (spawn) return failure(AGENT_ERROR_TYPES.failed, `could not start the agent: ${spawn.message}`);
  if (facts.killedBy === 'idle') {
    return failure(AGENT_ERROR_TYPES.idle, `the agent wrote nothing for ${facts.idleTimeoutSeconds}s and was killed`);
  }
  if (facts.killedBy === 'output') {
    return failure(
      AGENT_ERROR_TYPES.outputTooLarge,
      `the agent wrote more than ${megabytes(facts.maxOutputBytes ?? DEFAULT_OUTPUT_LIMITS.outputBytes)} of output and was stopped: ` +
        'raise agent.limits.outputBytes if that much is expected',
    );
  }
  return null;
}

/** A message cut to `max` characters, marked where it was cut. */
export function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** The report of an attempt that produced nothing an adapter could read. */
export function emptyReport(facts: Pick<ProcessFacts, 'durationMs'>): AttemptReport {
  return {
    sessionId: null,
    result: null,
    isError: null,
    subtype: null,
    terminalReason: null,
    apiErrorStatus: null,
    numTurns: null,
    costUsd: 0,
    durationMs: facts.durationMs,
    toolsUsed: [],
  };
}

function megabytes(bytes: number): string {
  return `${Math.round(bytes / (1024 * 1024))} MiB`;
}
