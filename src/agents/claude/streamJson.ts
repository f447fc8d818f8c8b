/**
 * The Claude CLI's `--output-format stream-json --verbose` lines, parsed once with zod. Only the
 * fields we act on are declared; everything else passes through untouched (the CLI evolves),
 * and a line that is not JSON is kept as text rather than failing the unit.
 */
import { z } from 'zod';

const resultSchema = z.looseObject({
  type: z.literal('result'),
  subtype: z.string().default('unknown'),
  is_error: z.boolean().default(false),
  result: z.string().nullish(),
  session_id: z.string().nullish(),
  num_turns: z.number().nullish(),
  duration_ms: z.number().nullish(),
  total_cost_usd: z.number().nullish(),
  api_error_status: z.number().nullish(),
  terminal_reason: z.string().nullish(),
  /** With --json-schema: the object the model gave, already checked by the CLI; absent when none fit. */
  structured_output: z.unknown().optional(),
});
export type ResultEvent = z.output<typeof resultSchema>;

const initSchema = z.looseObject({
  type: z.literal('system'),
  subtype: z.literal('init'),
  session_id: z.string(),
  model: z.string().nullish(),
});

/** Sent when a subscription's usage window is near or spent; `resetsAt` is epoch seconds. */
const rateLimitSchema = z.looseObject({
  type: z.literal('rate_limit_event'),
  rate_limit_info: z.looseObject({
    status: z.string(),
    resetsAt: z.number().nullish(),
    rateLimitType: z.string().nullish(),
  }),
});
export type RateLimitInfo = z.output<typeof rateLimitSchema>['rate_limit_info'];

const contentBlockSchema = z.looseObject({ type: z.string(), name: z.string().optional() });
const assistantSchema = z.looseObject({
  type: z.literal('assistant'),
  message: z.looseObject({ content: z.array(contentBlockSchema).default([]), model: z.string().optional() }),
});
/** The model the CLI names on the assistant messages it writes itself (an API error's text). */
const SYNTHETIC_MODEL = '<synthetic>';

export interface StreamEvent {
  type: string;
  subtype: string | null;
  /** The whole line as the CLI wrote it, for the conversation log. */
  data: Record<string, unknown>;
  sessionId: string | null;
  /** Names of the tools this event asks to use. */
  toolUses: string[];
  result: ResultEvent | null;
  rateLimit: RateLimitInfo | null;
  /** A model response: an assistant message the API sent, not one the CLI wrote about an error. */
  modelAnswered: boolean;
}

/** An event that says nothing yet beyond its type; parsing fills in what the line tells. */
function blankEvent(type: string, subtype: string | null, data: StreamEvent['data']): StreamEvent {
  return { type, subtype, data, sessionId: null, toolUses: [], result: null, rateLimit: null, modelAnswered: false };
}

/** A line kept as it was: not JSON, or JSON that is not an object. */
const textEvent = (text: string): StreamEvent => blankEvent('text', null, { text });

export function parseStreamLine(line: string): StreamEvent | null {
  const text = line.trim();
  if (!text) return null;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return textEvent(text);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return textEvent(text);
  const data = value as Record<string, unknown>;
  const type = typeof data.type === 'string' ? data.type : 'unknown';
  const subtype = typeof data.subtype === 'string' ? data.subtype : null;
  const event = blankEvent(type, subtype, data);

  // Only the schema of the line's own type is tried (four on every line were a tenth of a
  // millisecond of the worker's CPU per unit at 100 ms units).
  switch (type) {
    case 'system': {
      const init = initSchema.safeParse(data);
      if (init.success) event.sessionId = init.data.session_id;
      break;
    }
    case 'assistant': {
      const assistant = assistantSchema.safeParse(data);
      if (assistant.success) {
        const blocks = assistant.data.message.content;
        event.toolUses = blocks.filter((b) => b.type === 'tool_use' && b.name).map((b) => b.name!);
        event.modelAnswered = assistant.data.message.model !== SYNTHETIC_MODEL;
      }
      break;
    }
    case 'rate_limit_event': {
      const rateLimit = rateLimitSchema.safeParse(data);
      if (rateLimit.success) event.rateLimit = rateLimit.data.rate_limit_info;
      break;
    }
    case 'result': {
      const result = resultSchema.safeParse(data);
      if (result.success) {
        event.result = result.data;
        event.sessionId = result.data.session_id ?? null;
      }
      break;
    }
  }
  return event;
}
