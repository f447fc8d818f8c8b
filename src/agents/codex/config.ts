/**
 * What a unit's codex loads besides the spec: by default not its user's config.toml (MCP
 * servers, `notify`, profiles, providers) nor their execpolicy rules. Measured on codex-cli
 * 0.169.0 with a config.toml of two MCP servers and a notify hook (bench/hermetic.ts): without
 * flags each `codex exec` started both servers and ran the hook; `--ignore-user-config
 * --ignore-rules` does neither (auth still comes from CODEX_HOME). Codex has no switch for the
 * global AGENTS.md in CODEX_HOME: that one still reaches the model (docs/agents.md).
 */
import { z } from 'zod';

const tomlKey = (key: string): string => (/^[A-Za-z0-9_-]+$/.test(key) ? key : JSON.stringify(key));

/** A JSON value as a TOML inline value (what `-c key=value` parses). */
export function tomlValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return `[${value.map(tomlValue).join(', ')}]`;
  if (value !== null && typeof value === 'object')
    return `{${Object.entries(value)
      .map(([k, v]) => `${tomlKey(k)} = ${tomlValue(v)}`)
      .join(', ')}}`;
  throw new Error(`a TOML value cannot be ${String(value)}`);
}

const mcpServer = z.record(
  z.string(),
  z.union([z.string(), z.number(), z.boolean(), z.array(z.string()), z.record(z.string(), z.string())]),
);

export const codexConfigFields = {
  /** Load the user's config.toml and rules, as `codex` does by default. */
  useUserConfig: z.boolean().default(false),
  /** A profile of the user's config (`--profile`): loads their config.toml too. */
  profile: z.string().min(1).optional(),
  /** MCP servers for every unit, as config.toml's `[mcp_servers.NAME]` (command, args, env, url…). */
  mcpServers: z
    .record(z.string().regex(/^[A-Za-z0-9_-]+$/, 'an MCP server name: letters, digits, _ and -'), mcpServer)
    .optional(),
};

type CodexConfig = z.output<z.ZodObject<typeof codexConfigFields>>;

export function codexConfigArgs(agent: CodexConfig): string[] {
  const args = agent.useUserConfig || agent.profile ? [] : ['--ignore-user-config', '--ignore-rules'];
  if (agent.profile) args.push('--profile', agent.profile);
  for (const [name, server] of Object.entries(agent.mcpServers ?? {}))
    args.push('-c', `mcp_servers.${name}=${tomlValue(server)}`);
  return args;
}
