/** What a unit's claude and codex are told to load (src/agents/claude/config.ts, codex/config.ts). */
import { describe, expect, it } from '@jest/globals';
import { claudeAgentSchema } from '../../src/agents/claude/claude.js';
import { configArgs, resolveConfigPaths } from '../../src/agents/claude/config.js';
import { codexAgentSchema } from '../../src/agents/codex/codex.js';
import { codexConfigArgs, tomlValue } from '../../src/agents/codex/config.js';

const claude = (over: Record<string, unknown> = {}) => claudeAgentSchema.parse({ type: 'claude', ...over });
const codex = (over: Record<string, unknown> = {}) => codexAgentSchema.parse({ type: 'codex', ...over });

describe('claude loads only what the spec names', () => {
  it('by default: no settings files, no MCP servers but the spec’s', () => {
    expect(configArgs(claude())).toEqual(['--setting-sources', '', '--strict-mcp-config']);
  });

  it('passes the spec’s MCP servers, settings and plugins explicitly', () => {
    const agent = claude({
      settingSources: ['project'],
      mcpServers: { docs: { type: 'stdio', command: 'docs-mcp', args: ['--ro'] } },
      settings: { apiKeyHelper: '/usr/local/bin/key' },
      plugins: ['/opt/plugins/lint'],
    });
    expect(configArgs(agent)).toEqual([
      '--setting-sources',
      'project',
      '--strict-mcp-config',
      '--mcp-config',
      '{"mcpServers":{"docs":{"type":"stdio","command":"docs-mcp","args":["--ro"]}}}',
      '--settings',
      '{"apiKeyHelper":"/usr/local/bin/key"}',
      '--plugin-dir',
      '/opt/plugins/lint',
    ]);
  });

  it('bare, or the user’s own config when asked', () => {
    expect(configArgs(claude({ bare: true }))).toEqual(['--bare', '--strict-mcp-config']);
    expect(configArgs(claude({ useUserConfig: true }))).toEqual([]);
  });

  it('a settings file and plugin directories are relative to the spec', () => {
    expect(resolveConfigPaths(claude({ settings: 'conf/s.json', plugins: ['p'] }), '/jobs')).toEqual({
      settings: '/jobs/conf/s.json',
      plugins: ['/jobs/p'],
    });
  });

  it('refuses options that contradict each other, saying which', () => {
    const bad = (over: Record<string, unknown>) =>
      claudeAgentSchema.safeParse({ type: 'claude', ...over }).error?.issues;
    expect(bad({ useUserConfig: true, bare: true })).toMatchObject([
      { path: ['bare'], message: expect.stringContaining('useUserConfig loads everything') },
    ]);
    expect(bad({ bare: true, settingSources: ['user'] })).toMatchObject([
      { path: ['settingSources'], message: 'bare loads no settings files: drop settingSources, or bare' },
    ]);
    expect(bad({ settingSources: ['everything'] })).toBeDefined();
  });
});

describe('codex loads only what the spec names', () => {
  it('by default not its user’s config.toml nor their rules', () => {
    expect(codexConfigArgs(codex())).toEqual(['--ignore-user-config', '--ignore-rules']);
    expect(codexConfigArgs(codex({ useUserConfig: true }))).toEqual([]);
    expect(codexConfigArgs(codex({ profile: 'fast' }))).toEqual(['--profile', 'fast']);
  });

  it('names its MCP servers as -c overrides in TOML', () => {
    const agent = codex({ mcpServers: { docs: { command: 'docs-mcp', args: ['--ro', 'a"b'], env: { LEVEL: '2' } } } });
    expect(codexConfigArgs(agent)).toEqual([
      '--ignore-user-config',
      '--ignore-rules',
      '-c',
      'mcp_servers.docs={command = "docs-mcp", args = ["--ro", "a\\"b"], env = {LEVEL = "2"}}',
    ]);
    expect(tomlValue({ 'a key': true, n: 3 })).toBe('{"a key" = true, n = 3}');
    expect(codexAgentSchema.safeParse({ type: 'codex', mcpServers: { 'a.b': { command: 'x' } } }).success).toBe(false);
  });
});
