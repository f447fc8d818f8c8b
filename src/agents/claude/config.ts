/**
 * What a unit's claude loads besides the spec: by default nothing of the machine it runs on.
 * Measured on the bundled CLI (2.1.330) with a user config of two MCP servers, a SessionStart
 * and a Stop hook, a CLAUDE.md, a skill and a subagent (bench/hermetic.ts, docs/agents.md):
 * without flags every `claude -p` ran both hooks, started both servers and sent all of it to
 * the model; `--setting-sources "" --strict-mcp-config` loads none of them (nor the project's
 * CLAUDE.md and .claude/settings.json) and keeps the full tool set and an OAuth login working.
 * `--bare` is faster still but offers only Bash, Edit and Read (no Write, even with --tools) and
 * reads only ANTHROPIC_API_KEY or an apiKeyHelper, so it is opt-in.
 */
import path from 'node:path';
import { z } from 'zod';

export const SETTING_SOURCES = ['user', 'project', 'local'] as const;

const mcpServer = z.record(z.string(), z.unknown());

export const claudeConfigFields = {
  /** Load the user's own settings, hooks, plugins, MCP servers and CLAUDE.md, as `claude` does by default. */
  useUserConfig: z.boolean().default(false),
  /** Which of claude's settings files to load (`--setting-sources`); default none. */
  settingSources: z.array(z.enum(SETTING_SOURCES)).optional(),
  /** MCP servers for every unit (`--mcp-config`), as in a .mcp.json's `mcpServers`: the only ones it gets. */
  mcpServers: z.record(z.string().min(1), mcpServer).optional(),
  /** Settings for every unit (`--settings`): an object, or a settings file (relative to the spec). */
  settings: z.union([z.record(z.string(), z.unknown()), z.string().min(1)]).optional(),
  /** Plugin directories to load (`--plugin-dir`, relative to the spec). */
  plugins: z.array(z.string().min(1)).optional(),
  /** `--bare`: fastest start, but only the Bash, Edit and Read tools, and auth only from ANTHROPIC_API_KEY. */
  bare: z.boolean().default(false),
};

type ClaudeConfig = z.output<z.ZodObject<typeof claudeConfigFields>>;

/** The command-line flags for what a unit's claude loads. */
export function configArgs(agent: ClaudeConfig): string[] {
  const args: string[] = [];
  if (!agent.useUserConfig) {
    if (agent.bare) args.push('--bare');
    else args.push('--setting-sources', (agent.settingSources ?? []).join(','));
    args.push('--strict-mcp-config');
  }
  if (agent.mcpServers) args.push('--mcp-config', JSON.stringify({ mcpServers: agent.mcpServers }));
  if (agent.settings !== undefined)
    args.push('--settings', typeof agent.settings === 'string' ? agent.settings : JSON.stringify(agent.settings));
  for (const dir of agent.plugins ?? []) args.push('--plugin-dir', dir);
  return args;
}

/** A settings file and plugin directories are relative to the spec. */
export function resolveConfigPaths(agent: ClaudeConfig, baseDir: string): Partial<ClaudeConfig> {
  return {
    ...(typeof agent.settings === 'string' ? { settings: path.resolve(baseDir, agent.settings) } : {}),
    ...(agent.plugins ? { plugins: agent.plugins.map((p) => path.resolve(baseDir, p)) } : {}),
  };
}

/** Options that contradict each other, said with the fix (null: none). */
export function configConflict(agent: ClaudeConfig): { path: string; message: string } | null {
  if (agent.useUserConfig && (agent.bare || agent.settingSources))
    return {
      path: agent.bare ? 'bare' : 'settingSources',
      message: 'useUserConfig loads everything claude loads by default: drop bare and settingSources, or useUserConfig',
    };
  if (agent.bare && agent.settingSources)
    return { path: 'settingSources', message: 'bare loads no settings files: drop settingSources, or bare' };
  return null;
}
