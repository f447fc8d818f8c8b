/** `mcp`: the MCP server over stdio, for AI assistants (Claude Code, any MCP client). */
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { Command } from 'commander';
import { openSession, type Session } from '../../client/session.js';
import { SERVER_WAIT } from '../../client/workerWait.js';
import { loadConfig } from '../../config.js';
import { createMcpServer } from '../../mcp/server.js';
import { action } from '../action.js';

export function registerMcpCommand(program: Command, version: string): void {
  program
    .command('mcp')
    .description('serve MCP over stdio: an AI assistant creates, approves, follows and reads jobs')
    .addHelpText(
      'after',
      `
Add it to Claude Code:   claude mcp add agentic-batch -- npx agentic-batch mcp
Any other MCP client:    command "npx", args ["agentic-batch", "mcp"] (stdio)
Tools: create_job, get_job, list_jobs, approve_job, reject_job, pause_job, resume_job, cancel_job,
retry_job, list_units, get_unit, get_results; resource agentic-batch://jobs/{id}. The stack starts
on the first call that needs it (as for every command); stdout carries only the protocol.`,
    )
    .action(
      action(async () => {
        const opened: { session?: Promise<Session> } = {};
        const server = createMcpServer(
          () => (opened.session ??= openSession(loadConfig(), { autoStart: true, waitPolicy: SERVER_WAIT })),
          version,
        );
        const transport = new StdioServerTransport();
        const closed = new Promise<void>((resolve) => {
          transport.onclose = resolve;
          process.stdin.once('end', resolve);
        });
        await server.connect(transport);
        await closed;
        await server.close();
        if (opened.session) await (await opened.session).close();
      }),
    );
}
