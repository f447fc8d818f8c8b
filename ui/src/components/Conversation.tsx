/**
 * A conversation for reading: the model's words as Markdown, each tool call folded with its input
 * and the output that answered it, errors marked, system lines quiet.
 */
import type { ConversationEntry } from '../types.js';
import { Markdown } from './Markdown.js';

type ToolEntry = Extract<ConversationEntry, { kind: 'tool' }>;
type ToolResult = Extract<ConversationEntry, { kind: 'toolResult' }>;
type Item = ConversationEntry | { kind: 'call'; tool: ToolEntry; answer: ToolResult | null };

/** Tool results follow their calls in order: each answers the oldest call not yet answered. */
function pairCalls(entries: readonly ConversationEntry[]): Item[] {
  const items: Item[] = [];
  const waiting: Extract<Item, { kind: 'call' }>[] = [];
  for (const entry of entries) {
    if (entry.kind === 'tool') {
      const call = { kind: 'call' as const, tool: entry, answer: null };
      items.push(call);
      waiting.push(call);
    } else if (entry.kind === 'toolResult' && waiting.length) {
      waiting.shift()!.answer = entry;
    } else if (entry.kind === 'result' && !entry.isError && entry.text === lastAnswer(items)) {
      // claude's result repeats its last answer: say how it ended, not the text again.
      items.push({ kind: 'system', text: `result: ${entry.subtype} (the answer above)` });
    } else {
      items.push(entry);
    }
  }
  return items;
}

function lastAnswer(items: readonly Item[]): string | undefined {
  const last = items.at(-1);
  return last?.kind === 'assistant' ? last.text : undefined;
}

const asText = (value: unknown) => (typeof value === 'string' ? value : JSON.stringify(value, null, 2));

/** A tool call's one-line summary: its name and the input field that says most. */
function callSummary(tool: ToolEntry): string {
  const input = tool.input as Record<string, unknown> | string;
  if (typeof input === 'string') return input;
  const telling = input.command ?? input.file_path ?? input.path ?? input.pattern ?? input.url ?? input.description;
  return typeof telling === 'string' ? telling : '';
}

export function Conversation({ entries }: { entries: readonly ConversationEntry[] }) {
  if (!entries.length) return <p class="muted">No conversation was recorded.</p>;
  return (
    <ol class="conversation">
      {pairCalls(entries).map((item, i) => (
        <li key={i} class={`entry entry-${item.kind}`}>
          <Entry item={item} />
        </li>
      ))}
    </ol>
  );
}

function Entry({ item }: { item: Item }) {
  switch (item.kind) {
    case 'assistant':
      return <Markdown text={item.text} />;
    case 'reasoning':
      return (
        <details>
          <summary>reasoning</summary>
          <Markdown text={item.text} />
        </details>
      );
    case 'call': {
      const output = item.answer?.text ?? item.tool.output;
      const failed =
        item.answer?.isError ||
        (item.tool.exitCode !== undefined && item.tool.exitCode !== null && item.tool.exitCode !== 0);
      return (
        <details class={failed ? 'tool failed' : 'tool'}>
          <summary>
            <span class="tool-name">{item.tool.name}</span> <code>{callSummary(item.tool)}</code>
            {failed && <span class="badge state-failed">error</span>}
          </summary>
          <h4>input</h4>
          <pre>{asText(item.tool.input)}</pre>
          {output !== undefined && (
            <>
              <h4>
                output
                {item.tool.exitCode !== undefined && item.tool.exitCode !== null ? ` (exit ${item.tool.exitCode})` : ''}
              </h4>
              <pre>{output}</pre>
            </>
          )}
        </details>
      );
    }
    case 'toolResult':
      return <pre class={item.isError ? 'failed' : ''}>{item.text}</pre>;
    case 'result':
      return (
        <div class={item.isError ? 'result failed' : 'result'}>
          <h4>
            result <span class="muted">{item.subtype}</span>
          </h4>
          <Markdown text={item.text} />
        </div>
      );
    case 'output':
      return <pre class={item.stream === 'stderr' ? 'stderr' : ''}>{item.text}</pre>;
    case 'system':
      return <p class="system">{item.text}</p>;
    default:
      return null;
  }
}
