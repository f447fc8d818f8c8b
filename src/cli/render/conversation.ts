/** A unit's attempts and their conversation events as readable text (`show JOB UNIT`). */
import type { UnitConversation } from '../../client/units.js';
import { duration, excerpt, truncate, usd } from './format.js';

type Block = { type?: string; text?: string; name?: string; input?: unknown; content?: unknown; is_error?: boolean };

export function formatConversation(unit: UnitConversation['unit'], attempts: UnitConversation['attempts']): string {
  const out = [
    `unit ${unit.unitId}: ${unit.key}`,
    `status ${unit.status} · ${unit.attempts} attempt(s) in its last run · spent ${usd(unit.costUsd)}${unit.error ? ` · error: ${unit.error}` : ''}`,
  ];
  if (attempts.length === 0) out.push('', '(no attempts yet)');
  for (const { attempt: a, events } of attempts) {
    const outcome = a.finishedAt ? (a.errorType ? `${a.errorType}: ${a.error ?? ''}` : 'succeeded') : 'running';
    out.push(
      '',
      `── attempt ${a.attempt} (${a.phase}, prompt v${a.templateVersion}) · ${a.startedAt.toISOString()} · ${outcome}`,
      `   ${usd(a.costUsd)} · ${a.durationMs != null ? duration(a.durationMs) : '?'} · ${a.numTurns ?? '?'} turns · session ${a.sessionId ?? '?'}`,
      '▶ prompt',
      excerpt(a.prompt, 20),
    );
    for (const e of events) out.push(...formatEvent(e));
    if (a.stderrTail && a.errorType) out.push('▶ stderr (tail)', excerpt(a.stderrTail, 10));
  }
  return out.join('\n');
}

function formatEvent(e: UnitConversation['attempts'][number]['events'][number]): string[] {
  const d = e.data as Record<string, unknown>;
  const message = d.message as { content?: Block[] | string } | undefined;
  const blocks: Block[] = Array.isArray(message?.content) ? message.content : [];
  switch (e.type) {
    case 'system':
      if (e.subtype === 'init') return [`▶ session started · model ${String(d.model ?? '?')} · cwd ${String(d.cwd ?? '?')}`];
      if (e.subtype === 'api_retry') return [`▶ API retry ${String(d.attempt ?? '')}: ${String(d.error_status ?? d.error ?? '')}`];
      return [`▶ system/${e.subtype ?? '?'}`];
    case 'assistant':
      return blocks.flatMap((b) => {
        if (b.type === 'text' && b.text) return ['▶ assistant', excerpt(b.text, 30)];
        if (b.type === 'tool_use') return [`▶ tool ${b.name ?? '?'} ${truncate(JSON.stringify(b.input ?? {}), 160)}`];
        return [];
      });
    case 'user':
      return blocks
        .filter((b) => b.type === 'tool_result')
        .map((b) => `  ↳ ${b.is_error ? 'error: ' : ''}${truncate(typeof b.content === 'string' ? b.content : JSON.stringify(b.content ?? ''), 200)}`);
    case 'result':
      return [`▶ result (${String(d.subtype)}${d.is_error ? ', error' : ''})`, excerpt(String(d.result ?? ''), 30)];
    case 'text':
      return [`  ${truncate(String(d.text ?? ''), 200)}`];
    default:
      return [`▶ ${e.type}${e.subtype ? `/${e.subtype}` : ''}`];
  }
}
