/**
 * The job's buttons, each enabled exactly when the lifecycle lets the job take that request
 * (the domain's own table), with the forms the requests need: feedback and a revised prompt for
 * reject, a budget for resume (and ignoring the breaker once it paused the job), the statuses to
 * run again for retry.
 */
import { useState } from 'preact/hooks';
import { isTerminal, requestApplies, type JobRequest } from '../../../src/domain/lifecycle.js';
import { jobPath, post } from '../api.js';
import type { JobStatusJson, JobView } from '../types.js';
import { ErrorLine } from './ErrorLine.js';

export function Actions({ job, onDone }: { job: JobStatusJson; onDone: (view?: JobView) => void }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [rejecting, setRejecting] = useState(false);
  const [feedback, setFeedback] = useState('');
  const [prompt, setPrompt] = useState('');
  const [overBudget, setOverBudget] = useState(false);
  const [budget, setBudget] = useState('');
  const state = job.status;
  const can = (request: JobRequest) => !busy && requestApplies(state, request);
  const terminal = isTerminal(state);
  const retryable = (['failed', 'cancelled', 'expired'] as const).filter((s) => job.counts[s] > 0);
  const forecastOver = job.forecastUsd !== null && job.budgetUsd !== null && job.forecastUsd > job.budgetUsd;

  const act = async (action: string, body: unknown = {}) => {
    setBusy(true);
    setError(null);
    try {
      const result = await post<JobView | { cancelling: true } | { retrying: number }>(
        `${jobPath(job.jobId)}/${action}`,
        body,
      );
      setRejecting(false);
      onDone('status' in result ? result : undefined);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <div class="actions">
      <div class="buttons">
        <button
          class="primary"
          disabled={!can('approve') || (forecastOver && !overBudget)}
          onClick={() => void act('approve', { overBudget })}
        >
          Approve
        </button>
        <button disabled={!can('reject')} onClick={() => setRejecting(!rejecting)} aria-expanded={rejecting}>
          Reject…
        </button>
        <button disabled={!can('pause')} onClick={() => void act('pause')}>
          Pause
        </button>
        <button
          disabled={!can('resume')}
          onClick={() => void act('resume', budget ? { budgetUsd: Number(budget) } : {})}
        >
          Resume
        </button>
        {job.breaker?.tripped && (
          <button
            disabled={!can('resume')}
            title="the breaker paused this job: go on, and let it not pause this job again"
            onClick={() =>
              void act('resume', { ...(budget ? { budgetUsd: Number(budget) } : {}), ignoreBreaker: true })
            }
          >
            Resume, ignoring the breaker
          </button>
        )}
        <button
          class="danger"
          disabled={busy || terminal}
          onClick={() => confirm(`Cancel ${job.jobId}? Running units are stopped.`) && void act('cancel')}
        >
          Cancel
        </button>
        <button
          disabled={!can('retry') || retryable.length === 0}
          onClick={() => void act('retry', { statuses: retryable })}
        >
          Retry failed{retryable.length ? ` (${retryable.reduce((n, s) => n + job.counts[s], 0)})` : ''}
        </button>
      </div>
      {forecastOver && can('approve') && (
        <label class="check">
          <input type="checkbox" checked={overBudget} onChange={(e) => setOverBudget(e.currentTarget.checked)} />{' '}
          approve although the forecast ({`$${job.forecastUsd!.toFixed(2)}`}) exceeds the budget (
          {`$${job.budgetUsd!.toFixed(2)}`})
        </label>
      )}
      {can('resume') && (
        <label class="inline">
          New budget (USD, optional){' '}
          <input
            type="number"
            min="0"
            step="0.01"
            name="budget"
            value={budget}
            onInput={(e) => setBudget(e.currentTarget.value)}
          />
        </label>
      )}
      {rejecting && can('reject') && (
        <form
          class="reject"
          onSubmit={(e) => {
            e.preventDefault();
            void act('reject', { feedback, prompt: prompt.trim() || undefined });
          }}
        >
          <label>
            What was wrong with the test results?
            <textarea
              name="feedback"
              required
              rows={3}
              value={feedback}
              onInput={(e) => setFeedback(e.currentTarget.value)}
            />
          </label>
          <label>
            Revised prompt (optional: leave empty to keep the prompt{' '}
            <span class="muted">— a job made from an intent has the agent revise it from your feedback</span>)
            <textarea name="prompt" rows={4} value={prompt} onInput={(e) => setPrompt(e.currentTarget.value)} />
          </label>
          <button type="submit" class="primary" disabled={busy || !feedback.trim()}>
            Reject and test again
          </button>
        </form>
      )}
      <ErrorLine error={error} />
    </div>
  );
}
