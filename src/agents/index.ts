/**
 * The registry of agent adapters, by spec `agent.type`: one line per kind. The spec's `agent`
 * section is the union of the adapters' own schemas.
 */
import { z } from 'zod';
import type { AgentKind } from './agent.js';
import { claudeAgent } from './claude/claude.js';
import { codexAgent } from './codex/codex.js';
import { commandAgent } from './command/command.js';

const KINDS = {
  claude: claudeAgent,
  command: commandAgent,
  codex: codexAgent,
};

type Kinds = typeof KINDS;
type SpecOf<K> = K extends AgentKind<infer S> ? S : never;
/** A resolved `agent` section: one of the adapters' specs. */
export type AgentSpec = { [T in keyof Kinds]: SpecOf<Kinds[T]> }[keyof Kinds];
export type AgentType = keyof Kinds;

export const AGENT_TYPES = Object.keys(KINDS) as AgentType[];

export const agentSchema = z.discriminatedUnion(
  'type',
  Object.values(KINDS).map((k) => k.schema) as unknown as [z.ZodObject, ...z.ZodObject[]],
) as unknown as z.ZodType<AgentSpec>;

export function agentKind<S extends AgentSpec>(spec: S): AgentKind<S> {
  return KINDS[spec.type] as unknown as AgentKind<S>;
}

/** The fields an `agent` section of this type may have, for "unknown field" hints. */
export function agentFields(type: string): readonly string[] | null {
  const kind = (KINDS as Record<string, AgentKind<{ type: string }>>)[type];
  return kind ? Object.keys((kind.schema as unknown as z.ZodObject).shape) : null;
}

export type { AgentEvent, AgentKind, AttemptParser, AttemptVerdict, ProcessFacts } from './agent.js';
export { runAgentProcess } from './process.js';
