/** How numbers and times read on the pages. */
export const usd = (n: number | null | undefined) =>
  n === null || n === undefined ? '—' : `$${n < 1 && n > 0 ? n.toFixed(4) : n.toFixed(2)}`;

export function duration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '—';
  if (ms < 1000) return `${ms} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${Math.round(s % 60)} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

export const when = (iso: string) => new Date(iso).toLocaleString();

/** Text cut to a line's worth for tables. */
export const excerpt = (text: string | null | undefined, chars = 120) =>
  !text ? '' : text.length > chars ? `${text.slice(0, chars)}…` : text;
