/** A pipeline as text: one line a stage, after its needs, with its state, counts, cost and what it waits for. */
import type { LiveStage } from '../../client/pipelines.js';
import type { PipelineStatus, UnitCounts } from '../../domain/index.js';
import { table, usd } from './format.js';

export type LivePipeline = Omit<PipelineStatus, 'stages'> & { stages: LiveStage[] };

export function pipelineText(status: LivePipeline): string {
  const cost = status.stages.reduce((sum, s) => sum + s.costUsd, 0);
  const head = `${status.pipelineId} (${status.name}): ${status.state}${status.message ? ` — ${status.message}` : ''} · ${usd(cost)}`;
  const rows = status.stages.map((stage) => {
    const counts = stage.job?.counts ?? stage.counts;
    return [
      `  ${stage.needs.length ? '└▶ ' : ''}${stage.name}`,
      stage.state,
      counts ? countsText(counts) : (stage.message ?? ''),
      stage.jobId ? usd(stage.costUsd) : '',
      stage.needs.length ? `← ${stage.needs.join(', ')}` : '',
    ];
  });
  return `${head}\n${table(rows)}`;
}

function countsText(c: UnitCounts): string {
  const parts = [`${c.succeeded}/${c.total} succeeded`];
  if (c.failed) parts.push(`${c.failed} failed`);
  if (c.running) parts.push(`${c.running} running`);
  if (c.cancelled) parts.push(`${c.cancelled} cancelled`);
  if (c.expired) parts.push(`${c.expired} expired`);
  return parts.join(', ');
}
