/** The job's spending over time: cumulative cost (line) with attempts finished, as a small SVG chart. */
import type { TimelinePoint } from '../types.js';
import { usd } from './format.js';

const W = 600;
const H = 160;
const PAD = { left: 56, right: 12, top: 12, bottom: 28 };

export function CostChart({ points }: { points: readonly TimelinePoint[] }) {
  if (points.length < 2) return <p class="muted">The chart starts once units have finished.</p>;
  const t0 = Date.parse(points[0]!.at);
  const t1 = Date.parse(points.at(-1)!.at);
  const last = points.at(-1)!;
  if (t1 - t0 < 1000)
    return (
      <p class="muted">
        {last.attempts} attempt{last.attempts === 1 ? '' : 's'} finished, {usd(last.costUsd)} so far: the chart grows as
        more finish.
      </p>
    );
  const maxCost = Math.max(points.at(-1)!.costUsd, 1e-9);
  const x = (at: string) => PAD.left + ((Date.parse(at) - t0) / Math.max(t1 - t0, 1)) * (W - PAD.left - PAD.right);
  const y = (cost: number) => H - PAD.bottom - (cost / maxCost) * (H - PAD.top - PAD.bottom);
  const line = points.map((p) => `${x(p.at).toFixed(1)},${y(p.costUsd).toFixed(1)}`).join(' ');
  const span = Math.round((t1 - t0) / 1000);
  return (
    <svg class="chart" viewBox={`0 0 ${W} ${H}`} role="img" aria-label="cost over time">
      <line x1={PAD.left} y1={H - PAD.bottom} x2={W - PAD.right} y2={H - PAD.bottom} class="axis" />
      <line x1={PAD.left} y1={PAD.top} x2={PAD.left} y2={H - PAD.bottom} class="axis" />
      <text x={PAD.left - 6} y={PAD.top + 4} class="label" text-anchor="end">
        {usd(maxCost)}
      </text>
      <text x={PAD.left - 6} y={H - PAD.bottom} class="label" text-anchor="end">
        $0
      </text>
      <text x={PAD.left} y={H - 8} class="label">
        {new Date(t0).toLocaleTimeString()}
      </text>
      <text x={W - PAD.right} y={H - 8} class="label" text-anchor="end">
        +{span} s · {points.at(-1)!.attempts} attempts
      </text>
      <polyline points={line} class="cost-line" />
    </svg>
  );
}
