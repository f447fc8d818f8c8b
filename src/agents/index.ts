/**
 * The registry of agent adapters, by spec `agent.type`: one line per kind. The spec's `agent`
 * section is the union of the adapters' own schemas.
 */
import { kindRegistry } from '../kinds.js';
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

const registry = kindRegistry<Kinds, AgentSpec>(KINDS);

export const AGENT_TYPES = registry.types;
export const agentSchema = registry.schema;
/** The fields an `agent` section of this type may have, for "unknown field" hints. */
export const agentFields = registry.fields;

export function agentKind<S extends AgentSpec>(spec: S): AgentKind<S> {
  return registry.kindOf(spec) as unknown as AgentKind<S>;
}

export type { AgentEvent, AgentKind, AttemptParser, AttemptVerdict, ProcessFacts } from './agent.js';
export { failure as agentFailure, outputLimits, processBounds, processFacts } from './agent.js';
export { findExecutable, runAgentProcess } from './process.js';
export { runAgentOnce } from './runOnce.js';
