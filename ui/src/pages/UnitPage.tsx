/**
 * One unit: its record, result (Markdown), structured output, verify runs, a worktree unit's diff,
 * and every attempt with its conversation rendered for reading.
 */
import { useState } from 'preact/hooks';
import { checkEnding } from '../../../src/domain/verify.js';
import { get, jobPath, query } from '../api.js';
import { Conversation } from '../components/Conversation.js';
import { ErrorLine } from '../components/ErrorLine.js';
import { duration, usd, when } from '../components/format.js';
import { Markdown } from '../components/Markdown.js';
import { jobHref, Link } from '../router.js';
import type { ConversationEntry, EventsPage, UnitDetail } from '../types.js';
import { usePoll } from '../usePoll.js';

export function UnitPage({ jobId, unitRef }: { jobId: string; unitRef: string }) {
  const path = `${jobPath(jobId)}/units/${encodeURIComponent(unitRef)}`;
  // A running unit's conversation grows: read it again while it runs.
  const { data: detail, error } = usePoll(
    () => get<UnitDetail>(path),
    [path],
    (d) => (['pending', 'running'].includes(d.unit.status) ? 3000 : 0),
  );
  if (error && !detail) return <ErrorLine error={error} />;
  if (!detail) return <p class="muted">Loading {unitRef}…</p>;
  const { unit, attempts } = detail;

  return (
    <section>
      <p>
        <Link href={jobHref(jobId)}>← {jobId}</Link>
      </p>
      <h1>
        {unit.key} <span class={`badge unit-${unit.status}`}>{unit.status}</span>
      </h1>
      <dl class="stats">
        <div>
          <dt>unit</dt>
          <dd>#{unit.unitId}</dd>
        </div>
        {unit.origin && (
          <div>
            <dt>from</dt>
            <dd>{unit.origin}</dd>
          </div>
        )}
        <div>
          <dt>attempts</dt>
          <dd>{unit.attempts}</dd>
        </div>
        <div>
          <dt>cost</dt>
          <dd>{usd(unit.costUsd)}</dd>
        </div>
        <div>
          <dt>duration</dt>
          <dd>{duration(unit.durationMs)}</dd>
        </div>
      </dl>
      {unit.error && <p class="error">{unit.error}</p>}
      {unit.result && (
        <section class="result">
          <h2>Result</h2>
          <Markdown text={unit.result} />
        </section>
      )}
      {unit.output !== null && unit.output !== undefined && (
        <section>
          <h2>Structured output</h2>
          <pre>{JSON.stringify(unit.output, null, 2)}</pre>
        </section>
      )}
      {unit.verifyRuns && unit.verifyRuns.length > 0 && (
        <section>
          <h2>
            Verify runs{' '}
            {unit.verified ? (
              <span class="badge unit-succeeded">passed</span>
            ) : (
              <span class="badge unit-failed">failed</span>
            )}
          </h2>
          <ol class="verify">
            {unit.verifyRuns.map((run, i) => (
              <li key={i}>
                <details open={run.exitCode !== 0}>
                  <summary>
                    {checkEnding(run)} in {duration(run.durationMs)} <span class="muted">{when(run.at)}</span>
                  </summary>
                  <pre>{run.outputTail}</pre>
                </details>
              </li>
            ))}
          </ol>
        </section>
      )}
      {unit.changes && (
        <Changes jobId={jobId} unitRef={unitRef} commit={unit.changes.commit} branch={unit.changes.branch} />
      )}
      <details class="record">
        <summary>Record</summary>
        <pre>{JSON.stringify(unit.payload, null, 2)}</pre>
      </details>

      <h2>Attempts</h2>
      {attempts.length === 0 && <p class="muted">Not run yet.</p>}
      {attempts.map((a) => (
        <article key={a.id} class={`attempt${a.error ? ' failed' : ''}`}>
          <h3>
            Attempt {a.attempt} <span class="muted">({a.phase})</span>
          </h3>
          <p class="muted">
            {when(a.startedAt)} · {duration(a.durationMs)} · {usd(a.costUsd)}
            {a.numTurns !== null && ` · ${a.numTurns} turns`}
            {a.subtype && ` · ${a.subtype}`}
            {a.toolsUsed.length > 0 && ` · tools: ${a.toolsUsed.join(', ')}`}
          </p>
          {a.error && (
            <p class="error">
              {a.errorType && <strong>{a.errorType}: </strong>}
              {a.error}
            </p>
          )}
          <details class="prompt">
            <summary>Prompt</summary>
            <pre>{a.prompt}</pre>
          </details>
          <AttemptConversation jobId={jobId} attempt={a} />
        </article>
      ))}
    </section>
  );
}

/**
 * An attempt's conversation: its first page, and the rest a page at a time on request (an
 * attempt keeps up to 10,000 events; a page loads 500).
 */
function AttemptConversation({ jobId, attempt }: { jobId: string; attempt: UnitDetail['attempts'][number] }) {
  const [more, setMore] = useState<{ entries: ConversationEntry[]; next: number | null } | null>(null);
  const [loading, setLoading] = useState(false);
  const [failure, setFailure] = useState<unknown>(null);
  const next = more ? more.next : attempt.nextEventSeq;
  const entries = more ? [...attempt.entries, ...more.entries] : attempt.entries;
  const loadMore = async () => {
    setLoading(true);
    try {
      const page = await get<EventsPage>(
        `${jobPath(jobId)}/attempts/${attempt.id}/events${query({ after: String(next) })}`,
      );
      setMore({ entries: [...(more?.entries ?? []), ...page.entries], next: page.nextEventSeq });
    } catch (err) {
      setFailure(err);
    } finally {
      setLoading(false);
    }
  };
  return (
    <>
      <Conversation entries={entries} />
      {failure !== null && <ErrorLine error={failure} />}
      {next !== null && (
        <button type="button" class="more" disabled={loading} onClick={() => void loadMore()}>
          {loading ? 'Loading…' : `Show more (${attempt.eventCount - next} more events)`}
        </button>
      )}
    </>
  );
}

function Changes(props: { jobId: string; unitRef: string; commit: string | null; branch: string | null }) {
  const { data, error } = usePoll(
    () =>
      get<{ diff: string; truncated: boolean }>(
        `${jobPath(props.jobId)}/units/${encodeURIComponent(props.unitRef)}/diff`,
      ),
    [props.jobId, props.unitRef, props.commit],
  );
  return (
    <section>
      <h2>Changes</h2>
      {!props.commit ? (
        <p class="muted">No changes.</p>
      ) : (
        <>
          <p class="muted">
            commit {props.commit.slice(0, 12)} on {props.branch}
          </p>
          <ErrorLine error={error} />
          {data && (
            <pre class="diff">
              {data.diff.split('\n').map((line, i) => (
                <span
                  key={i}
                  class={
                    line.startsWith('+') ? 'add' : line.startsWith('-') ? 'del' : line.startsWith('@@') ? 'hunk' : ''
                  }
                >
                  {line}
                  {'\n'}
                </span>
              ))}
              {data.truncated && <span class="muted">… (cut: see the branch for the rest)</span>}
            </pre>
          )}
        </>
      )}
    </section>
  );
}
