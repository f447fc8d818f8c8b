/**
 * A user's agent configuration as people have it, in a fresh directory: for claude a HOME with
 * a SessionStart and a Stop hook, two MCP servers, a CLAUDE.md, a skill and a subagent; for
 * codex a CODEX_HOME whose config.toml has two MCP servers and a notify hook. Every hook and
 * server marks a file when it runs, so a test sees what a unit's agent loaded.
 */
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Not compiled: from dist/bench it is found in bench/. */
export const MARKING_MCP_SERVER = fileURLToPath(new URL('./markingMcpServer.mjs', import.meta.url)).replace(
  `${path.sep}dist${path.sep}bench${path.sep}`,
  `${path.sep}bench${path.sep}`,
);

export interface UserConfig {
  /** HOME for claude. */
  home: string;
  /** CODEX_HOME for codex. */
  codexHome: string;
  /** The hooks that ran, one line each ("SessionStart", "Stop", "notify"). */
  hooks(): Promise<string[]>;
  /** The MCP servers that started, one line each. */
  servers(): Promise<string[]>;
  serverCommand(name: string): { command: string; args: string[] };
}

const lines = async (file: string): Promise<string[]> =>
  (await readFile(file, 'utf8').catch(() => '')).split('\n').filter(Boolean);

export async function makeUserConfig(): Promise<UserConfig> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'agentic-batch-user-config-'));
  const home = path.join(root, 'home');
  const codexHome = path.join(root, 'codex-home');
  const hooksLog = path.join(root, 'hooks.log');
  const serversLog = path.join(root, 'servers.log');
  const serverCommand = (name: string) => ({ command: process.execPath, args: [MARKING_MCP_SERVER, name, serversLog] });
  const hook = (name: string) => [{ hooks: [{ type: 'command', command: `echo ${name} >> ${hooksLog}` }] }];
  await mkdir(path.join(home, '.claude', 'skills', 'house-style'), { recursive: true });
  await mkdir(path.join(home, '.claude', 'agents'), { recursive: true });
  await mkdir(codexHome, { recursive: true });
  await writeFile(
    path.join(home, '.claude', 'settings.json'),
    JSON.stringify({ hooks: { SessionStart: hook('SessionStart'), Stop: hook('Stop') } }),
  );
  await writeFile(
    path.join(home, '.claude.json'),
    JSON.stringify({
      hasCompletedOnboarding: true,
      mcpServers: {
        alpha: { type: 'stdio', ...serverCommand('alpha') },
        beta: { type: 'stdio', ...serverCommand('beta') },
      },
    }),
  );
  await writeFile(path.join(home, '.claude', 'CLAUDE.md'), 'Always answer in French.\n');
  await writeFile(
    path.join(home, '.claude', 'skills', 'house-style', 'SKILL.md'),
    '---\nname: house-style\ndescription: the house style\n---\nWrite short sentences.\n',
  );
  await writeFile(
    path.join(home, '.claude', 'agents', 'reviewer.md'),
    '---\nname: reviewer\ndescription: reviews\n---\nYou review.\n',
  );
  const toml = (name: string) => {
    const { command, args } = serverCommand(name);
    return `[mcp_servers.${name}]\ncommand = ${JSON.stringify(command)}\nargs = ${JSON.stringify(args)}\n`;
  };
  await writeFile(
    path.join(codexHome, 'config.toml'),
    `notify = ["sh", "-c", "echo notify >> ${hooksLog}"]\n${toml('alpha')}${toml('beta')}`,
  );
  return {
    home,
    codexHome,
    hooks: () => lines(hooksLog),
    servers: () => lines(serversLog),
    serverCommand,
  };
}
