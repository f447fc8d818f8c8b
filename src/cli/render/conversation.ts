/** A unit's attempts and their conversation events as readable text (`show JOB UNIT`). */
import { conversationEntries, type ConversationEntry } from '../../client/conversationEntries.js';
import type { UnitConversation } from '../../client/units.js';
import { checkEnding, describeChanges } from '../../domain/index.js';
import { duration, excerpt, truncate, usd } from './format.js';

export function formatConversation(unit: UnitConversation['unit'], attempts: UnitConversation['attempts']): string {
  const out = [
    `unit ${unit.unitId}: ${unit.key}${unit.origin && unit.origin !== unit.key ? ` (${unit.origin})` : ''}`,
    `status ${unit.status} · ${unit.attempts} attempt(s) in its last run · spent ${usd(unit.costUsd)}${unit.error ? ` · error: ${unit.error}` : ''}`,
  ];
  if (unit.changes) out.push(`changes: ${describeChanges(unit.changes)}`);
  for (const [i, run] of (unit.verifyRuns ?? []).entries()) {
    out.push(`check ${i + 1}: ${checkEnding(run)} · ${duration(run.durationMs)} · ${run.at}`);
    if (run.exitCode !== 0 && run.outputTail.trim()) out.push(excerpt(run.outputTail.trimEnd(), 8));
  }
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
    for (const entry of conversationEntries(events)) out.push(...formatEntry(entry));
    if (a.output !== null && a.output !== undefined)
      out.push('▶ structured output', excerpt(JSON.stringify(a.output, null, 2), 20));
    if (a.stderrTail && a.errorType) out.push('▶ stderr (tail)', excerpt(a.stderrTail, 10));
  }
  return out.join('\n');
}

/** One entry as lines of text. */
function formatEntry(e: ConversationEntry): string[] {
  switch (e.kind) {
    case 'system':
      return [`▶ ${truncate(e.text, 240)}`];
    case 'assistant':
      return ['▶ assistant', excerpt(e.text, 30)];
    case 'reasoning':
      return ['▶ reasoning', excerpt(e.text, 10)];
    case 'tool': {
      const input = typeof e.input === 'string' ? e.input : JSON.stringify(e.input);
      if (e.output === undefined) return [`▶ tool ${e.name} ${truncate(input, 160)}`];
      return [`▶ tool ${e.name} ${truncate(input, 160)} (exit ${e.exitCode ?? '?'})`, excerpt(e.output, 10)];
    }
    case 'toolResult':
      return [`  ↳ ${e.isError ? 'error: ' : ''}${truncate(e.text, 200)}`];
    case 'result':
      return [`▶ result (${e.subtype}${e.isError ? ', error' : ''})`, excerpt(e.text, 30)];
    case 'output':
      if (e.stream === 'stdout') return [`  │ ${e.text}`];
      if (e.stream === 'stderr') return [`  ! ${e.text}`];
      return [`  ${truncate(e.text, 200)}`];
  }
}
