/**
 * A conversation's stored events, whichever agent wrote them (claude's stream-json, codex's
 * thread items, a command's output lines), as one neutral list of entries that every front end
 * renders its own way: the CLI as text, the MCP server as a summary, the dashboard as HTML.
 */
import type { EventRow } from '../store/events.js';

export type ConversationEntry =
  /** Session start, API retries, turn ends, file changes: one line. */
  | { kind: 'system'; text: string }
  /** What the model said (Markdown). */
  | { kind: 'assistant'; text: string }
  | { kind: 'reasoning'; text: string }
  /** A tool call; a command run by codex carries its output and exit code. */
  | { kind: 'tool'; name: string; input: unknown; output?: string; exitCode?: number | null }
  | { kind: 'toolResult'; text: string; isError: boolean }
  /** The agent's final word. */
  | { kind: 'result'; text: string; subtype: string; isError: boolean }
  /** A line a command agent printed. */
  | { kind: 'output'; stream: 'text' | 'stdout' | 'stderr'; text: string };

type Block = { type?: string; text?: string; name?: string; input?: unknown; content?: unknown; is_error?: boolean };

export function conversationEntries(events: readonly EventRow[]): ConversationEntry[] {
  return events.flatMap(entriesOf);
}

function entriesOf(e: EventRow): ConversationEntry[] {
  const d = e.data as Record<string, unknown>;
  const message = d.message as { content?: Block[] | string } | undefined;
  const blocks: Block[] = Array.isArray(message?.content) ? message.content : [];
  const system = (text: string): ConversationEntry[] => [{ kind: 'system', text }];
  switch (e.type) {
    case 'system':
      if (e.subtype === 'init')
        return system(`session started · model ${String(d.model ?? '?')} · cwd ${String(d.cwd ?? '?')}`);
      if (e.subtype === 'api_retry')
        return system(`API retry ${String(d.attempt ?? '')}: ${String(d.error_status ?? d.error ?? '')}`);
      return system(`system/${e.subtype ?? '?'}`);
    case 'assistant':
      return blocks.flatMap((b): ConversationEntry[] => {
        if (b.type === 'text' && b.text) return [{ kind: 'assistant', text: b.text }];
        if (b.type === 'tool_use') return [{ kind: 'tool', name: b.name ?? '?', input: b.input ?? {} }];
        return [];
      });
    case 'user':
      return blocks
        .filter((b) => b.type === 'tool_result')
        .map((b) => ({
          kind: 'toolResult',
          text: typeof b.content === 'string' ? b.content : JSON.stringify(b.content ?? ''),
          isError: b.is_error === true,
        }));
    case 'result':
      return [
        { kind: 'result', text: String(d.result ?? ''), subtype: String(d.subtype), isError: d.is_error === true },
      ];
    case 'text':
    case 'stdout':
    case 'stderr':
      return [{ kind: 'output', stream: e.type, text: String(d.text ?? '') }];
    // Codex: a thread of items.
    case 'thread.started':
      return system(`session started · thread ${String(d.thread_id ?? '?')}`);
    case 'item.completed':
      return codexItem((d.item ?? {}) as Record<string, unknown>);
    case 'turn.completed':
      return system(`turn completed · ${JSON.stringify(d.usage ?? {})}`);
    case 'turn.failed':
      return system(`turn failed: ${String((d.error as { message?: unknown } | undefined)?.message ?? '')}`);
    case 'error':
      return system(`error: ${String(d.message ?? '')}`);
    case 'turn.started':
    case 'item.started':
    case 'item.updated':
      return [];
    // What an attempt left out past its events' bounds (activities/eventBudget.ts).
    case 'omitted':
      return system(String(d.text ?? 'events left out'));
    default:
      return system(`${e.type}${e.subtype ? `/${e.subtype}` : ''}`);
  }
}

function codexItem(item: Record<string, unknown>): ConversationEntry[] {
  switch (item.type) {
    case 'agent_message':
      return [{ kind: 'assistant', text: String(item.text ?? '') }];
    case 'reasoning':
      return [{ kind: 'reasoning', text: String(item.text ?? '') }];
    case 'command_execution':
      return [
        {
          kind: 'tool',
          name: 'command',
          input: String(item.command ?? ''),
          output: String(item.aggregated_output ?? ''),
          exitCode: typeof item.exit_code === 'number' ? item.exit_code : null,
        },
      ];
    case 'file_change': {
      const changes = Array.isArray(item.changes) ? (item.changes as { kind?: string; path?: string }[]) : [];
      const list = changes.map((c) => `${c.kind ?? '?'} ${c.path ?? '?'}`).join(', ');
      return [{ kind: 'system', text: `file change ${list} (${String(item.status ?? '')})` }];
    }
    case 'error':
      return [{ kind: 'system', text: `warning: ${String(item.message ?? '')}` }];
    default:
      return [{ kind: 'system', text: String(item.type ?? 'item') }];
  }
}
