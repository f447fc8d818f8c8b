/** Small formatting helpers shared by the CLI's views. */
import type { JobStatus } from '../../domain/index.js';

export function usd(amount: number): string {
  return `$${amount.toFixed(amount >= 100 ? 2 : 4)}`;
}

/** `forecast: 800 units × $0.0420 ≈ $33.60 (budget $50.0000)`, or null before the test units ran. */
export function forecastLine(status: Pick<JobStatus, 'forecast' | 'budgetUsd'>): string | null {
  const f = status.forecast;
  if (!f) return null;
  const budget = status.budgetUsd === null ? '' : ` (budget ${usd(status.budgetUsd)})`;
  return `forecast: ${f.units} units × ${usd(f.perUnitUsd)} ≈ $${f.totalUsd.toFixed(2)}${budget}`;
}

export function duration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '?';
  if (ms < 9_950) return `${(ms / 1000).toFixed(1)}s`;
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h ${String(m % 60).padStart(2, '0')}m`;
}

export function truncate(text: string, max: number): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return oneLine.length > max ? `${oneLine.slice(0, max - 1)}…` : oneLine;
}

/** The first `maxLines` lines of a text, indented, with a note of what was cut. */
export function excerpt(text: string, maxLines: number, indent = '    '): string {
  const lines = text.trimEnd().split('\n');
  const shown = lines.slice(0, maxLines).map((l) => indent + l);
  if (lines.length > maxLines) shown.push(`${indent}… (${lines.length - maxLines} more lines)`);
  return shown.join('\n');
}

/** The widest cell of each column. */
export function columnWidths(rows: string[][]): number[] {
  return rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
}

/** Columns padded to their widest cell (or to `widths`, to line up with rows printed before). */
export function table(rows: string[][], widths = columnWidths(rows)): string {
  return rows
    .map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join('  '))
    .join('\n');
}
