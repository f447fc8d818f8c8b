/** The `agentic-batch` command line. */
import { Command, CommanderError } from 'commander';
import { reportError, setVerbose } from './action.js';
import { registerApplyCommand } from './commands/apply.js';
import { registerControlCommands } from './commands/control.js';
import { registerDashboardCommand } from './commands/dashboard.js';
import { registerInspectCommands } from './commands/inspect.js';
import { registerMcpCommand } from './commands/mcp.js';
import { registerRunCommands } from './commands/run.js';
import { registerStackCommands } from './commands/stack.js';

const VERSION = '0.1.0';

const program = new Command('agentic-batch')
  .description('Run the Claude Code CLI once per work unit, durably, on Temporal.')
  .version(VERSION)
  .option('--verbose', 'show stack traces on errors')
  .showHelpAfterError('(add --help for usage)')
  .exitOverride()
  .hook('preAction', (cmd) => setVerbose(Boolean(cmd.optsWithGlobals().verbose)))
  .addHelpText(
    'after',
    `
Quick start:
  agentic-batch run --files 'docs/**/*.md' --prompt 'Summarize {{relative_path}} in one line.'

The first command that needs them starts Temporal, Postgres and a worker in the background
(state in AGENTIC_BATCH_HOME, default ~/.agentic-batch). Environment: TEMPORAL_ADDRESS,
TEMPORAL_NAMESPACE, DATABASE_URL, CLAUDE_BIN, AGENTIC_BATCH_TASK_QUEUE, TEMPORAL_CLI_PATH.`,
  );

registerRunCommands(program);
registerControlCommands(program);
registerInspectCommands(program);
registerApplyCommand(program);
registerStackCommands(program);
registerMcpCommand(program, VERSION);
registerDashboardCommand(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    // Help and version exit 0; every other commander error is a usage error.
    process.exitCode = err.exitCode === 0 ? 0 : 2;
  } else {
    process.exitCode = reportError(err);
  }
}
