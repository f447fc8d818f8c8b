/**
 * `codex exec --json` lines, parsed once with zod. Only what the adapter acts on is declared;
 * everything else passes through to the conversation log untouched, and a line that is not
 * JSON is kept as text. Shapes as captured from codex-cli 0.169.0 (test/fixtures/codex/).
 */
import { z } from 'zod';

const threadStarted = z.looseObject({ type: z.literal('thread.started'), thread_id: z.string() });
const itemEvent = z.looseObject({
  type: z.enum(['item.started', 'item.updated', 'item.completed']),
  item: z.looseObject({ id: z.string().optional(), type: z.string(), text: z.string().optional() }),
});
const usageSchema = z.looseObject({
  input_tokens: z.number().default(0),
  cached_input_tokens: z.number().default(0),
  output_tokens: z.number().default(0),
});
const turnCompleted = z.looseObject({ type: z.literal('turn.completed'), usage: usageSchema.optional() });
const turnFailed = z.looseObject({ type: z.literal('turn.failed'), error: z.looseObject({ message: z.string() }) });

export type CodexUsage = z.output<typeof usageSchema>;

export interface CodexEvent {
  type: string;
  /** The item's type for item events (agent_message, command_execution, file_change…). */
  subtype: string | null;
  data: Record<string, unknown>;
  threadId: string | null;
  /** The text of a completed agent message. */
  message: string | null;
  /** A command or file change the agent made (for `toolsUsed`). */
  tool: string | null;
  completed: { usage: CodexUsage | null } | null;
  failed: string | null;
}

const TOOL_ITEMS: Record<string, string> = {
  command_execution: 'command',
  file_change: 'file_change',
  mcp_tool_call: 'mcp',
  web_search: 'web_search',
};

export function parseCodexLine(line: string): CodexEvent | null {
  const text = line.trim();
  if (!text) return null;
  const event: CodexEvent = {
    type: 'text',
    subtype: null,
    data: { text },
    threadId: null,
    message: null,
    tool: null,
    completed: null,
    failed: null,
  };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return event;
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return event;
  const data = value as Record<string, unknown>;
  event.data = data;
  event.type = typeof data.type === 'string' ? data.type : 'unknown';

  const started = threadStarted.safeParse(data);
  if (started.success) event.threadId = started.data.thread_id;
  const item = itemEvent.safeParse(data);
  if (item.success) {
    event.subtype = item.data.item.type;
    if (item.data.type === 'item.completed' && item.data.item.type === 'agent_message')
      event.message = item.data.item.text ?? '';
    if (item.data.type === 'item.completed') event.tool = TOOL_ITEMS[item.data.item.type] ?? null;
  }
  const completed = turnCompleted.safeParse(data);
  if (completed.success) event.completed = { usage: completed.data.usage ?? null };
  const failed = turnFailed.safeParse(data);
  if (failed.success) event.failed = failed.data.error.message;
  return event;
}
