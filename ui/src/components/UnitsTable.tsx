/**
 * A job's units, a page at a time from the server (keyset cursors: page 200 of a 10,000-unit job
 * is as quick as page 1): filter by status, search by key, sort by cost or duration.
 */
import { useState } from 'preact/hooks';
import { UNIT_STATUSES } from '../../../src/domain/units.js';
import { get, jobPath, query } from '../api.js';
import { Link, unitHref } from '../router.js';
import type { UnitPage } from '../types.js';
import { usePoll } from '../usePoll.js';
import { ErrorLine } from './ErrorLine.js';
import { Choice, FilterBar } from './Filters.js';
import { duration, excerpt, usd } from './format.js';

const PAGE_SIZE = 50;

export function UnitsTable({ jobId, live }: { jobId: string; live: boolean }) {
  const [status, setStatus] = useState('');
  const [q, setQ] = useState('');
  const [sort, setSort] = useState('unit');
  /** The cursors of the pages before this one, and this one's. */
  const [cursors, setCursors] = useState<string[]>([]);
  const cursor = cursors.at(-1);
  const { data, error } = usePoll(
    () => get<UnitPage>(`${jobPath(jobId)}/units${query({ status, q, sort, cursor, limit: String(PAGE_SIZE) })}`),
    [jobId, status, q, sort, cursor, live],
    live ? 3000 : 0,
  );
  const restart = (change: () => void) => {
    change();
    setCursors([]);
  };

  return (
    <section class="units">
      <h2>Units</h2>
      <FilterBar
        search={{
          label: 'Key',
          name: 'key',
          placeholder: 'search by key',
          initial: q,
          onSearch: (text) => restart(() => setQ(text)),
        }}
      >
        <Choice
          label="Status"
          name="status"
          value={status}
          options={[['', 'all'], ...UNIT_STATUSES]}
          onChange={(v) => restart(() => setStatus(v))}
        />
        <Choice
          label="Sort"
          name="sort"
          value={sort}
          options={[
            ['unit', 'unit order'],
            ['cost', 'cost, highest first'],
            ['duration', 'duration, longest first'],
          ]}
          onChange={(v) => restart(() => setSort(v))}
        />
      </FilterBar>
      <ErrorLine error={error} />
      <table>
        <thead>
          <tr>
            <th class="num">#</th>
            <th>Key</th>
            <th>Status</th>
            <th class="num">Attempts</th>
            <th class="num">Cost</th>
            <th class="num">Duration</th>
            <th>Result or error</th>
          </tr>
        </thead>
        <tbody>
          {data?.units.map((u) => (
            <tr key={u.unitId}>
              <td class="num">{u.unitId}</td>
              <td>
                <Link href={unitHref(jobId, u.key)}>{u.key}</Link>
              </td>
              <td>
                <span class={`badge unit-${u.status}`}>{u.status}</span>
              </td>
              <td class="num">{u.attempts}</td>
              <td class="num">{usd(u.costUsd)}</td>
              <td class="num">{duration(u.durationMs)}</td>
              <td class={u.error ? 'bad-text' : ''}>{excerpt(u.error ?? u.result)}</td>
            </tr>
          ))}
          {data && data.units.length === 0 && (
            <tr>
              <td colSpan={7} class="muted">
                No units{status || q ? ' match' : ''}.
              </td>
            </tr>
          )}
        </tbody>
      </table>
      <nav class="pager">
        <button disabled={cursors.length === 0} onClick={() => setCursors(cursors.slice(0, -1))}>
          ← Previous
        </button>
        <span class="muted">page {cursors.length + 1}</span>
        <button disabled={!data?.nextCursor} onClick={() => setCursors([...cursors, data!.nextCursor!])}>
          Next →
        </button>
      </nav>
    </section>
  );
}
