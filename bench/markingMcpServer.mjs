// A minimal MCP server (stdio) that appends its name to a file when started: how
// test/integration/hermeticAgents.test.ts and bench/hermetic.ts see which MCP servers an agent started.
//   node markingMcpServer.mjs NAME LOGFILE
import { appendFileSync } from 'node:fs';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';

const [name, log] = process.argv.slice(2);
appendFileSync(log, `${name}\n`);
const server = new McpServer({ name, version: '1.0.0' });
server.registerTool('ping', { description: 'answers pong' }, async () => ({
  content: [{ type: 'text', text: 'pong' }],
}));
await server.connect(new StdioServerTransport());
