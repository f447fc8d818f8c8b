/** A pipeline's stages as a graph: columns by depth (a stage sits right of what it needs), arrows for needs. */
import { jobHref, Link } from '../router.js';
import type { PipelineView } from '../types.js';
import { StateBadge } from './StateBadge.js';

const BOX_W = 170;
const BOX_H = 64;
const GAP_X = 60;
const GAP_Y = 20;

export function PipelineGraph({ pipeline, current }: { pipeline: PipelineView; current: string }) {
  const depth = new Map<string, number>();
  const depthOf = (name: string): number => {
    if (!depth.has(name)) {
      const stage = pipeline.stages.find((s) => s.name === name);
      depth.set(name, stage && stage.needs.length ? 1 + Math.max(...stage.needs.map(depthOf)) : 0);
    }
    return depth.get(name)!;
  };
  const rows = new Map<number, number>();
  const place = new Map(
    pipeline.stages.map((s) => {
      const col = depthOf(s.name);
      const row = rows.get(col) ?? 0;
      rows.set(col, row + 1);
      return [s.name, { x: col * (BOX_W + GAP_X), y: row * (BOX_H + GAP_Y) }] as const;
    }),
  );
  const width = Math.max(...[...place.values()].map((p) => p.x)) + BOX_W;
  const height = Math.max(...[...place.values()].map((p) => p.y)) + BOX_H;
  return (
    <div class="pipeline" style={{ width: `${width}px`, height: `${height}px` }}>
      <svg width={width} height={height} class="edges" aria-hidden="true">
        {pipeline.stages.flatMap((s) =>
          s.needs.map((need) => {
            const from = place.get(need)!;
            const to = place.get(s.name)!;
            return (
              <line
                key={`${need}-${s.name}`}
                x1={from.x + BOX_W}
                y1={from.y + BOX_H / 2}
                x2={to.x}
                y2={to.y + BOX_H / 2}
                class="edge"
              />
            );
          }),
        )}
      </svg>
      {pipeline.stages.map((s) => {
        const p = place.get(s.name)!;
        const counts = s.counts ? `${s.counts.succeeded}/${s.counts.total} succeeded` : '';
        const box = (
          <>
            <strong>{s.name}</strong> <StateBadge state={s.state} />
            <div class="muted">{counts}</div>
          </>
        );
        return (
          <div
            key={s.name}
            class={`stage${s.jobId === current ? ' current' : ''}`}
            style={{ left: `${p.x}px`, top: `${p.y}px`, width: `${BOX_W}px`, height: `${BOX_H}px` }}
            title={s.message ?? undefined}
          >
            {s.jobId ? <Link href={jobHref(s.jobId)}>{box}</Link> : box}
          </div>
        );
      })}
    </div>
  );
}
