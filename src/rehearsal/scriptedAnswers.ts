/**
 * Pure decision logic of the scripted Messages API (no I/O): given a parsed `POST /v1/messages`
 * body, decide what the model "says" — a Write tool_use, a final text, or a fault to serve first.
 *
 * Conventions (measured against claude 2.1.330, see docs/claude-contract.md):
 * - The unit prompt is the last text block of the latest human turn (a user message that is not
 *   only tool_results), `<system-reminder>` blocks removed. On a fresh `-p` run that is the `-p`
 *   text (trimmed) in the first user message; after `--resume` it is the new prompt, even when
 *   the CLI merges it into the old turn (it does so when that turn ended in an API error).
 * - The agent's cwd comes from the "Primary working directory: <dir>" line the CLI puts into its
 *   environment block (a role:"system" message); relative output paths resolve against it.
 * - Every agent-loop request carries tools or the environment block (even with `--tools ""` or
 *   `--system-prompt`); a request with neither is a side request (a helper call such as a title):
 *   it gets a plain answer and never a fault, so it cannot consume fault counters.
 * - Faults are markers in the prompt, `[[fault:SPEC]]`, or a default SPEC for every unit prompt.
 *   SPEC is 401 | 403 | 400 | 404-model | 429 | 529 | 500 | hang | slow=MS, optionally suffixed
 *   `xN`: only the first N main-loop requests carrying that prompt get it (the server counts).
 * - `[[reply:TEXT]]` in the prompt: the model's final text is TEXT (Markdown, say), after the
 *   Write when the prompt names a file.
 * - Structured output (the CLI's `StructuredOutput` tool, from `--json-schema`): after any Write,
 *   the model calls it once per turn with the prompt's `[[output:{…}]]` or an object built from
 *   the schema (scriptedOutput.ts).
 */
import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import { OUTPUT_MARKER, scriptedOutput, STRUCTURED_OUTPUT_TOOL, structuredOutputSchema } from './scriptedOutput.js';
import { scriptedTemplate } from './scriptedSynthesis.js';
import { isObject, objects } from './untrusted.js';

export type Fault =
  | { kind: 'error'; status: number; errorType: string; message: string; retryAfterSeconds?: number }
  | { kind: 'hang' }
  | { kind: 'slow'; ms: number };

/** A fault as written, plus how many requests it applies to (undefined = all). */
export interface FaultSpec {
  fault: Fault;
  times?: number;
}

export type Content =
  { type: 'text'; text: string } | { type: 'tool_use'; id: string; name: string; input: Record<string, unknown> };

export interface ScriptedMessage {
  id: string;
  model: string;
  content: Content[];
  stopReason: 'end_turn' | 'tool_use';
  usage: { input_tokens: number; output_tokens: number };
}

export interface Decision {
  message: ScriptedMessage;
  /** Fault to serve instead of (hang, error) or before (slow) the message, if its budget allows. */
  fault?: FaultSpec;
  /** Key the server counts `xN` faults under: the full unit prompt text. */
  faultKey: string;
  /** A side request (a title, a summary) rather than the agent loop working on the unit prompt. */
  side?: boolean;
}

const FAULT_SPEC = /^(401|403|400|404-model|429|529|500|hang|slow=(\d+))(?:x(\d+))?$/;
export const FAULT_MARKER = /\[\[fault:([^\]]+)\]\]/;
const REPLY_MARKER = /\[\[reply:([\s\S]*?)\]\]/;
const SYSTEM_REMINDER = /<system-reminder>[\s\S]*?<\/system-reminder>/g;
const WORKING_DIR = /Primary working directory: ([^\n]+)/;
/** `to the file <path>` / `into the file <path>`; the path may be in backticks or quotes. */
const TARGET_FILE = /\b(?:in)?to the file\s+(?:`([^`]+)`|"([^"]+)"|'([^']+)'|(\S+))/i;

const ERRORS: Record<string, Extract<Fault, { kind: 'error' }>> = {
  '400': { kind: 'error', status: 400, errorType: 'invalid_request_error', message: 'scripted: invalid request' },
  '401': { kind: 'error', status: 401, errorType: 'authentication_error', message: 'invalid x-api-key' },
  '403': { kind: 'error', status: 403, errorType: 'permission_error', message: 'scripted: permission denied' },
  '429': {
    kind: 'error',
    status: 429,
    errorType: 'rate_limit_error',
    message: 'scripted: rate limited',
    retryAfterSeconds: 1,
  },
  '500': { kind: 'error', status: 500, errorType: 'api_error', message: 'Internal server error' },
  '529': { kind: 'error', status: 529, errorType: 'overloaded_error', message: 'Overloaded' },
};

/** Parses `529`, `529x2`, `slow=300`, `hang`…; undefined when the spec is not one we know. */
export function parseFaultSpec(spec: string, model = 'unknown'): FaultSpec | undefined {
  const match = FAULT_SPEC.exec(spec.trim());
  if (!match) return undefined;
  const [, name, slowMs, times] = match;
  const fault: Fault =
    name === 'hang'
      ? { kind: 'hang' }
      : slowMs !== undefined
        ? { kind: 'slow', ms: Number(slowMs) }
        : name === '404-model'
          ? { kind: 'error', status: 404, errorType: 'not_found_error', message: `model: ${model}` }
          : ERRORS[name!]!;
  return times === undefined ? { fault } : { fault, times: Number(times) };
}

type Block = { type?: unknown; text?: unknown; is_error?: unknown; name?: unknown };
type Message = { role?: unknown; content?: unknown };

function blocks(content: unknown): Block[] {
  return typeof content === 'string' ? [{ type: 'text', text: content }] : objects(content);
}

/** Non-empty text blocks with the CLI's system reminders removed. */
function texts(content: unknown): string[] {
  return blocks(content)
    .filter((b) => b.type === 'text' && typeof b.text === 'string')
    .map((b) => (b.text as string).replace(SYSTEM_REMINDER, '').trim())
    .filter((t) => t !== '');
}

const isToolResultTurn = (m: Message) => blocks(m.content).some((b) => b.type === 'tool_result');

/** Index of the latest human turn (a user message that carries text, not only tool results). */
function lastHumanTurn(messages: Message[]): number {
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i]!;
    if (m.role === 'user' && !isToolResultTurn(m) && texts(m.content).length > 0) return i;
  }
  return -1;
}

/** The working directory the CLI announces, searched in the system prompt and all messages. */
export function workingDirectory(body: { system?: unknown; messages?: unknown }): string | undefined {
  const texts = [body.system, ...objects(body.messages).map((m) => m.content)]
    .flatMap(blocks)
    .map((b) => (typeof b.text === 'string' ? b.text : ''));
  for (const text of texts) {
    const match = WORKING_DIR.exec(text);
    if (match) return match[1]!.trim();
  }
  return undefined;
}

/** The output file a prompt names, resolved against cwd when relative. */
export function targetFile(prompt: string, cwd: string | undefined): string | undefined {
  const match = TARGET_FILE.exec(prompt);
  if (!match) return undefined;
  const quoted = match[1] ?? match[2] ?? match[3];
  // An unquoted path usually ends the sentence: drop trailing punctuation.
  const path = quoted ?? match[4]!.replace(/[.,;:!?)]+$/, '');
  if (path === '') return undefined;
  return posix.isAbsolute(path) || cwd === undefined ? path : posix.join(cwd, path);
}

export const excerpt = (prompt: string) => {
  const flat = prompt.replace(FAULT_MARKER, '').replace(/\s+/g, ' ').trim();
  return flat.length > 60 ? `${flat.slice(0, 57)}...` : flat;
};
export const hash = (...parts: string[]) => createHash('sha256').update(parts.join('\0')).digest('hex').slice(0, 24);
/** Rough token count (≈4 characters a token) so the CLI reports a plausible, non-zero cost. */
export const tokens = (value: unknown) => Math.max(1, Math.ceil(JSON.stringify(value ?? '').length / 4));

/** Decides the reply to one Messages API request body. Never throws on odd input. */
export function decideReply(body: unknown, defaultFault?: string): Decision {
  const req = isObject(body) ? body : {};
  const model = typeof req.model === 'string' ? req.model : 'claude-scripted';
  const messages: Message[] = objects(req.messages);
  const human = lastHumanTurn(messages);
  const prompt = human >= 0 ? texts(messages[human]!.content).at(-1)! : '';
  const cwd = workingDirectory(req);
  const sideRequest = cwd === undefined && !(Array.isArray(req.tools) && req.tools.length > 0);
  const file = targetFile(prompt, cwd);
  const toolResults = messages.slice(human + 1).filter(isToolResultTurn);
  const outputSchema = sideRequest ? undefined : structuredOutputSchema(req.tools);
  const wroteFile = file !== undefined && toolResults.length > 0;
  const answered = messages
    .slice(human + 1)
    .some((m) => m.role === 'assistant' && blocks(m.content).some((b) => b.name === STRUCTURED_OUTPUT_TOOL));

  const reply = REPLY_MARKER.exec(prompt)?.[1];
  let content: Content[];
  if (outputSchema && (file === undefined || wroteFile) && !answered) {
    // Asked for structured output (`--json-schema`): the model's last call holds it.
    // The unit prompt's marker holds for the whole conversation: the CLI's reminders are turns too.
    const asked = messages.filter((m) => m.role === 'user').flatMap((m) => texts(m.content));
    const input =
      scriptedTemplate(prompt) ?? scriptedOutput(asked.find((t) => OUTPUT_MARKER.test(t)) ?? prompt, outputSchema);
    content = [
      { type: 'tool_use', id: `toolu_${hash(prompt, String(messages.length))}`, name: STRUCTURED_OUTPUT_TOOL, input },
    ];
  } else if (!sideRequest && reply !== undefined && (file === undefined || toolResults.length > 0)) {
    content = [{ type: 'text', text: reply }];
  } else if (sideRequest || file === undefined) {
    const text =
      `Scripted answer: this deterministic reply stands in for a model's answer to "${excerpt(prompt)}". ` +
      'No model was called; the scripted Messages API derived it from the prompt alone.';
    content = [{ type: 'text', text }];
  } else if (toolResults.length === 0) {
    const input = { file_path: file, content: `Scripted output for: ${excerpt(prompt)}\n` };
    content = [{ type: 'tool_use', id: `toolu_${hash(prompt, String(messages.length))}`, name: 'Write', input }];
  } else {
    const failed = blocks(toolResults.at(-1)!.content).some((b) => b.type === 'tool_result' && b.is_error === true);
    content = [
      { type: 'text', text: failed ? `Scripted answer: could not write ${file}` : `Scripted answer: wrote ${file}` },
    ];
  }

  const marker = FAULT_MARKER.exec(prompt)?.[1] ?? defaultFault;
  const fault = sideRequest || marker === undefined ? undefined : parseFaultSpec(marker, model);
  const message: ScriptedMessage = {
    id: `msg_${hash(model, prompt, String(messages.length))}`,
    model,
    content,
    stopReason: content[0]!.type === 'tool_use' ? 'tool_use' : 'end_turn',
    usage: { input_tokens: tokens([req.system, req.messages, req.tools]), output_tokens: tokens(content) },
  };
  const decision: Decision = { message, faultKey: prompt, ...(sideRequest ? { side: true } : {}) };
  return fault === undefined ? decision : { ...decision, fault };
}
