/** A unit's attempts and their conversation events as readable text (`show JOB UNIT`). */
import type { UnitConversation } from '../../client/units.js';
import { checkEnding, describeChanges } from '../../domain/index.js';
import { duration, excerpt, truncate, usd } from './format.js';

type Block = { type?: string; text?: string; name?: string; input?: unknown; content?: unknown; is_error?: boolean };

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
    for (const e of events) out.push(...formatEvent(e));
    if (a.output !== null && a.output !== undefined)
      out.push('▶ structured output', excerpt(JSON.stringify(a.output, null, 2), 20));
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
      if (e.subtype === 'init')
        return [`▶ session started · model ${String(d.model ?? '?')} · cwd ${String(d.cwd ?? '?')}`];
      if (e.subtype === 'api_retry')
        return [`▶ API retry ${String(d.attempt ?? '')}: ${String(d.error_status ?? d.error ?? '')}`];
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
        .map(
          (b) =>
            `  ↳ ${b.is_error ? 'error: ' : ''}${truncate(typeof b.content === 'string' ? b.content : JSON.stringify(b.content ?? ''), 200)}`,
        );
    case 'result':
      return [`▶ result (${String(d.subtype)}${d.is_error ? ', error' : ''})`, excerpt(String(d.result ?? ''), 30)];
    case 'text':
      return [`  ${truncate(String(d.text ?? ''), 200)}`];
    // The command agent: its output, line by line.
    case 'stdout':
      return [`  │ ${String(d.text ?? '')}`];
    case 'stderr':
      return [`  ! ${String(d.text ?? '')}`];
    // Codex: a thread of items.
    case 'thread.started':
      return [`▶ session started · thread ${String(d.thread_id ?? '?')}`];
    case 'item.completed':
      return codexItem((d.item ?? {}) as Record<string, unknown>);
    case 'turn.completed':
      return [`▶ turn completed · ${JSON.stringify(d.usage ?? {})}`];
    case 'turn.failed':
      return [`▶ turn failed: ${String((d.error as { message?: unknown } | undefined)?.message ?? '')}`];
    case 'error':
      return [`▶ error: ${truncate(String(d.message ?? ''), 200)}`];
    case 'turn.started':
    case 'item.started':
    case 'item.updated':
      return [];
    default:
      return [`▶ ${e.type}${e.subtype ? `/${e.subtype}` : ''}`];
  }
}

function codexItem(item: Record<string, unknown>): string[] {
  switch (item.type) {
    case 'agent_message':
      return ['▶ assistant', excerpt(String(item.text ?? ''), 30)];
    case 'reasoning':
      return ['▶ reasoning', excerpt(String(item.text ?? ''), 10)];
    case 'command_execution':
      return [
        `▶ tool command ${truncate(String(item.command ?? ''), 160)} (exit ${String(item.exit_code ?? '?')})`,
        excerpt(String(item.aggregated_output ?? ''), 10),
      ];
    case 'file_change': {
      const changes = Array.isArray(item.changes) ? (item.changes as { kind?: string; path?: string }[]) : [];
      return [
        `▶ file change ${changes.map((c) => `${c.kind ?? '?'} ${c.path ?? '?'}`).join(', ')} (${String(item.status ?? '')})`,
      ];
    }
    case 'error':
      return [`▶ warning: ${truncate(String(item.message ?? ''), 200)}`];
    default:
      return [`▶ ${String(item.type ?? 'item')}`];
  }
}
