/**
 * A unit's conversation cut to what an assistant can read in one go: each attempt's outcome and
 * prompt, then its entries with long texts shortened, and only the last ones when there are many.
 */
import { conversationEntries, type ConversationEntry } from '../client/conversationEntries.js';
import { resultRecord } from '../client/results.js';
import type { EventRow, UnitConversation } from '../client/units.js';

const TEXT_CHARS = 1500;
const SMALL_CHARS = 300;
/** Each attempt's last events (get_events pages through all of them). */
export const ENTRIES_PER_ATTEMPT = 40;

export function conversationSummary({ unit, attempts }: UnitConversation) {
  return {
    unit: { ...resultRecord(unit), origin: unit.origin, payload: unit.payload },
    attempts: attempts.map(({ attempt: a, events, eventCount }) => {
      const entries = shortenedEntries(events);
      const left = entries.length - ENTRIES_PER_ATTEMPT;
      return {
        attemptId: Number(a.id),
        attempt: a.attempt,
        phase: a.phase,
        outcome: a.finishedAt ? (a.errorType ? `${a.errorType}: ${a.error ?? ''}` : 'succeeded') : 'running',
        costUsd: a.costUsd,
        durationMs: a.durationMs,
        turns: a.numTurns,
        sessionId: a.sessionId,
        prompt: cut(a.prompt, TEXT_CHARS),
        eventCount,
        ...(eventCount > events.length ? { earlierEventsLeftOut: eventCount - events.length } : {}),
        conversation: left > 0 ? entries.slice(left) : entries,
      };
    }),
  };
}

/** Events as entries, each long text shortened. */
export function shortenedEntries(events: readonly EventRow[]): ConversationEntry[] {
  return conversationEntries(events).map(shorten);
}

function shorten(e: ConversationEntry): ConversationEntry {
  switch (e.kind) {
    case 'assistant':
    case 'reasoning':
    case 'result':
      return { ...e, text: cut(e.text, TEXT_CHARS) };
    case 'tool':
      return {
        ...e,
        input: cut(typeof e.input === 'string' ? e.input : JSON.stringify(e.input), SMALL_CHARS),
        ...(e.output !== undefined ? { output: cut(e.output, SMALL_CHARS) } : {}),
      };
    default:
      return { ...e, text: cut(e.text, SMALL_CHARS) };
  }
}

function cut(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}… [${text.length - max} more characters]`;
}
