/**
 * One job, live: counts, rate, ETA, cost over time, throttling, the test units' results and the
 * buttons to act on them, the units table, its pipeline's graph and its Temporal Web UI link.
 */
import { useState } from 'preact/hooks';
import { isTerminal } from '../../../src/domain/lifecycle.js';
import { get, jobPath } from '../api.js';
import { Actions } from '../components/Actions.js';
import { CostChart } from '../components/CostChart.js';
import { ErrorLine } from '../components/ErrorLine.js';
import { duration, usd } from '../components/format.js';
import { Markdown } from '../components/Markdown.js';
import { PipelineGraph } from '../components/PipelineGraph.js';
import { Progress } from '../components/Progress.js';
import { StateBadge } from '../components/StateBadge.js';
import { UnitsTable } from '../components/UnitsTable.js';
import { Link, unitHref } from '../router.js';
import type { JobView, PipelineView, TimelinePoint } from '../types.js';
import { pace, useJobEvents } from '../useJobEvents.js';
import { usePoll } from '../usePoll.js';

export function JobPage({ jobId }: { jobId: string }) {
  const [generation, setGeneration] = useState(0);
  const live = useJobEvents(jobId, generation);
  const state = live.status?.status;
  // The test results change with the state: the whole view is read again when it moves.
  const view = usePoll(() => get<JobView>(jobPath(jobId)), [jobId, generation, state]);
  const status = live.status ?? view.data;
  const ended = status !== null && isTerminal(status.status);
  const timeline = usePoll(
    () => get<{ points: TimelinePoint[] }>(`${jobPath(jobId)}/timeline`),
    [jobId, generation, ended],
    ended ? 0 : 5000,
  );
  const pipelineId = view.data?.pipeline?.pipelineId;
  const pipeline = usePoll(
    () => (pipelineId ? get<PipelineView>(`/api/pipelines/${encodeURIComponent(pipelineId)}`) : Promise.resolve(null)),
    [pipelineId, status?.status],
  );

  if (view.error && !view.data) return <ErrorLine error={view.error} />;
  if (!status || !view.data) return <p class="muted">Loading {jobId}…</p>;
  const { counts } = status;
  const settled = counts.total - counts.pending - counts.running;
  const { perMinute, etaMs } = pace(live.samples, counts.pending + counts.running);
  const job = view.data;

  return (
    <section>
      <h1>
        {status.name} <StateBadge state={status.status} />
      </h1>
      <p class="muted id">
        {jobId}
        {live.connected && <span class="live"> · live</span>}
        {job.temporalUiUrl && (
          <>
            {' · '}
            <a href={job.temporalUiUrl} target="_blank" rel="noreferrer noopener">
              open in the Temporal Web UI
            </a>
          </>
        )}
      </p>
      {status.message && <p class="message">{status.message}</p>}

      <Progress total={counts.total} succeeded={counts.succeeded} failed={counts.failed} settled={settled} />
      <dl class="stats">
        <Stat name="units" value={`${settled} of ${counts.total} ended`} />
        <Stat name="succeeded" value={counts.succeeded} />
        <Stat name="failed" value={counts.failed} />
        <Stat name="running" value={counts.running} />
        <Stat name="pending" value={counts.pending} />
        {counts.cancelled > 0 && <Stat name="cancelled" value={counts.cancelled} />}
        {counts.expired > 0 && <Stat name="expired" value={counts.expired} />}
        <Stat name="rate" value={perMinute === null ? '—' : `${perMinute.toFixed(1)} units/min`} />
        <Stat name="ETA" value={ended ? '—' : duration(etaMs === null ? null : Math.round(etaMs))} />
        <Stat
          name="cost"
          value={`${usd(status.costUsd)}${status.budgetUsd !== null ? ` of ${usd(status.budgetUsd)}` : ''}`}
        />
        {status.forecastUsd !== null && <Stat name="forecast" value={usd(status.forecastUsd)} />}
        <Stat
          name="concurrency"
          value={
            status.status === 'RUNNING' && status.throttle.allowed < status.concurrency
              ? `${status.throttle.allowed} of ${status.concurrency}`
              : status.concurrency
          }
        />
      </dl>
      {status.status === 'RUNNING' && status.throttle.text && <p class="throttle">throttled: {status.throttle.text}</p>}
      {status.memory && <p class="throttle">{status.memory.text}</p>}
      {status.webhook && status.webhook.failed > 0 && (
        <p class="bad-text">
          webhook: {status.webhook.failed} deliveries failed ({status.webhook.lastError})
        </p>
      )}

      <Actions
        job={status}
        onDone={(next) => {
          if (next) view.setData(next);
          setGeneration((g) => g + 1);
        }}
      />

      {job.testResults.length > 0 && (
        <section class="tests">
          <h2>Test units{status.status === 'READY' ? ': judge them, then approve or reject' : ''}</h2>
          <table>
            <thead>
              <tr>
                <th>Key</th>
                <th>Status</th>
                <th class="num">Cost</th>
                <th>Result</th>
              </tr>
            </thead>
            <tbody>
              {job.testResults.map((t) => (
                <tr key={t.unitId}>
                  <td>
                    <Link href={unitHref(jobId, t.key)}>{t.key}</Link>
                  </td>
                  <td>
                    <span class={`badge unit-${t.status}`}>{t.status}</span>
                  </td>
                  <td class="num">{usd(t.costUsd)}</td>
                  <td class="excerpt">
                    {t.error ? <span class="bad-text">{t.error}</span> : <Markdown text={t.result ?? ''} />}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      )}
      {job.revisedPrompt && (
        <section>
          <h2>Revised prompt</h2>
          <pre>{job.revisedPrompt}</pre>
        </section>
      )}

      {pipeline.data && (
        <section>
          <h2>
            Pipeline {pipeline.data.name} <StateBadge state={pipeline.data.state} />
          </h2>
          <PipelineGraph pipeline={pipeline.data} current={jobId} />
        </section>
      )}

      <section>
        <h2>Cost over time</h2>
        {timeline.data && <CostChart points={timeline.data.points} />}
      </section>

      <UnitsTable jobId={jobId} live={!ended} />
    </section>
  );
}

function Stat({ name, value }: { name: string; value: string | number }) {
  return (
    <div>
      <dt>{name}</dt>
      <dd>{value}</dd>
    </div>
  );
}
