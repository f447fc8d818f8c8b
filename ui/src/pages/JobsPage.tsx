/** Every job, newest first: state, progress, counts, cost; filtered by state, searched by name, paged on the server. */
import { JOB_STATES } from '../../../src/domain/lifecycle.js';
import { get, query } from '../api.js';
import { ErrorLine } from '../components/ErrorLine.js';
import { Choice, FilterBar } from '../components/Filters.js';
import { usd, when } from '../components/format.js';
import { Progress } from '../components/Progress.js';
import { StateBadge } from '../components/StateBadge.js';
import { jobHref, Link, navigate } from '../router.js';
import type { JobListItem } from '../types.js';
import { usePoll } from '../usePoll.js';

const REFRESH_MS = 3000;

/** A click anywhere on a job's row opens it (its links keep their own handling: new tab, copy). */
function openRow(e: MouseEvent, href: string): void {
  if ((e.target as Element).closest('a') || getSelection()?.toString()) return;
  if (e.ctrlKey || e.metaKey || e.button === 1) window.open(href, '_blank');
  else navigate(href);
}

export function JobsPage({ url }: { url: URL }) {
  const state = url.searchParams.get('state') ?? '';
  const q = url.searchParams.get('q') ?? '';
  const cursor = url.searchParams.get('cursor') ?? '';
  const { data, error } = usePoll(
    () => get<{ jobs: JobListItem[]; nextCursor: string | null }>(`/api/jobs${query({ state, q, cursor })}`),
    [state, q, cursor],
    REFRESH_MS,
  );
  const go = (params: Record<string, string>) => navigate(`/${query({ state, q, ...params })}`);

  return (
    <section>
      <h1>Jobs</h1>
      <FilterBar
        search={{
          label: 'Name',
          name: 'q',
          placeholder: 'search by name or id',
          initial: q,
          onSearch: (text) => go({ q: text, cursor: '' }),
        }}
      >
        <Choice
          label="State"
          name="state"
          value={state}
          options={[['', 'all'], ...JOB_STATES]}
          onChange={(v) => go({ state: v, cursor: '' })}
        />
      </FilterBar>
      <ErrorLine error={error} />
      {data && (
        <table class="jobs">
          <thead>
            <tr>
              <th>Job</th>
              <th>State</th>
              <th>Progress</th>
              <th>Units</th>
              <th class="num">Cost</th>
              <th>Created</th>
            </tr>
          </thead>
          <tbody>
            {data.jobs.map((j) => (
              <tr key={j.jobId} class="link-row" onClick={(e) => openRow(e, jobHref(j.jobId))}>
                <td>
                  <Link href={jobHref(j.jobId)}>{j.name}</Link>
                  <div class="muted id">
                    <Link href={jobHref(j.jobId)}>{j.jobId}</Link>
                  </div>
                </td>
                <td>
                  <StateBadge state={j.state} />
                  {j.message && <div class="muted">{j.message}</div>}
                </td>
                <td>
                  <Progress total={j.totalUnits} succeeded={j.succeeded} failed={j.failed} settled={j.settled} />
                </td>
                <td>
                  {j.settled}/{j.totalUnits}
                  {j.failed > 0 && <span class="bad-text"> · {j.failed} failed</span>}
                </td>
                <td class="num">{usd(j.costUsd)}</td>
                <td>{when(j.createdAt)}</td>
              </tr>
            ))}
            {data.jobs.length === 0 && (
              <tr>
                <td colSpan={6} class="muted">
                  No jobs{state || q ? ' match' : ' yet: create one with `agentic-batch run`'}.
                </td>
              </tr>
            )}
          </tbody>
        </table>
      )}
      <nav class="pager">
        {cursor && <button onClick={() => history.back()}>← Newer</button>}
        {data?.nextCursor && <button onClick={() => go({ cursor: data.nextCursor! })}>Older →</button>}
      </nav>
    </section>
  );
}
