/**
 * The dashboard's HTTP API, a thin layer over src/client: every route is one client call, errors
 * are JSON `{error, hint}` in the CLI's words with the status that fits (400 bad input, 404 no
 * such job or unit, 409 a move the job's state does not allow). Auth and origin checks are the
 * app's (app.ts).
 */
import { Hono, type Context } from 'hono';
import { streamSSE } from 'hono/streaming';
import { conversationEntries } from '../client/conversationEntries.js';
import { approveJob, cancelJob, getStatus, pauseJob, rejectJob, resumeJob, retryJob } from '../client/jobs.js';
import { jobView } from '../client/jobView.js';
import { pipelineView } from '../client/pipelines.js';
import { resultPage, type ResultSort } from '../client/results.js';
import type { Session } from '../client/session.js';
import { statusJson } from '../client/statusJson.js';
import { jobTimeline } from '../client/timeline.js';
import { unitDiff } from '../client/unitDiff.js';
import { attemptEvents, jobPage, unitConversation } from '../client/units.js';
import { NoWorkerError } from '../client/workerWait.js';
import { isTerminal, UNIT_STATUSES, type UnitStatus } from '../domain/index.js';
import { ConflictError, NotFoundError, UsageError, UserError } from '../errors.js';

const EVENTS_EVERY_MS = 1000;
const SORTS = ['unit', 'cost', 'duration'] as const satisfies readonly ResultSort[];

/** A whole number from the address (undefined when absent), or a 400 saying which part is not one. */
function whole(name: string, text: string | undefined): number | undefined {
  if (text === undefined || text === '') return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`${name} ${JSON.stringify(text)} is not a whole number`);
  return n;
}

export function apiRoutes(session: Session): Hono {
  const api = new Hono();

  api.get('/jobs', async (c) => {
    const { state, q, cursor, limit } = c.req.query();
    const page = await jobPage(session, { state, q, cursor, limit: limit ? Number(limit) : undefined });
    return c.json({
      jobs: page.jobs.map((j) => ({
        jobId: j.id,
        name: j.name,
        state: j.state,
        totalUnits: j.totalUnits,
        succeeded: j.succeeded,
        failed: j.failed,
        settled: j.settled,
        costUsd: j.costUsd,
        message: j.message,
        createdAt: j.createdAt,
      })),
      nextCursor: page.nextCursor,
    });
  });

  api.get('/jobs/:id', async (c) => c.json(await jobView(session, await getStatus(session, c.req.param('id')))));

  api.get('/jobs/:id/units', async (c) => {
    const { status, q, sort, cursor, limit } = c.req.query();
    if (status !== undefined && !(UNIT_STATUSES as readonly string[]).includes(status))
      throw new UsageError(`unknown unit status ${JSON.stringify(status)}`, `one of ${UNIT_STATUSES.join(', ')}`);
    if (sort !== undefined && !(SORTS as readonly string[]).includes(sort))
      throw new UsageError(`unknown sort ${JSON.stringify(sort)}`, `one of ${SORTS.join(', ')}`);
    const page = await resultPage(session, c.req.param('id'), {
      status: status as UnitStatus | undefined,
      q,
      sort: sort as ResultSort | undefined,
      cursor,
      limit: limit ? Number(limit) : undefined,
    });
    return c.json(page);
  });

  api.get('/jobs/:id/timeline', async (c) => c.json(await jobTimeline(session, c.req.param('id'))));

  api.get('/pipelines/:id', async (c) => c.json(await pipelineView(session, c.req.param('id'))));

  api.get('/jobs/:id/units/:unit', async (c) => {
    const { unit, attempts } = await unitConversation(session, c.req.param('id'), c.req.param('unit'));
    return c.json({
      unit,
      attempts: attempts.map(({ attempt, events, eventCount, nextEventSeq }) => ({
        ...attempt,
        entries: conversationEntries(events),
        eventCount,
        nextEventSeq,
      })),
    });
  });

  // The rest of an attempt's conversation, a page at a time.
  api.get('/jobs/:id/attempts/:attempt/events', async (c) => {
    const { after, limit } = c.req.query();
    const page = await attemptEvents(session, c.req.param('id'), whole('attempt', c.req.param('attempt'))!, {
      afterSeq: whole('after', after) ?? 0,
      limit: whole('limit', limit),
    });
    return c.json({ entries: conversationEntries(page.events), nextEventSeq: page.nextEventSeq });
  });

  api.get('/jobs/:id/units/:unit/diff', async (c) =>
    c.json(await unitDiff(session, c.req.param('id'), c.req.param('unit'))),
  );

  const body = async (c: Context): Promise<Record<string, unknown>> => {
    const text = await c.req.text();
    if (!text) return {};
    try {
      const value: unknown = JSON.parse(text);
      if (value && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
    } catch {
      // answered below
    }
    throw new UsageError('the request body is not a JSON object', 'send {"feedback": "…"} and the like, or nothing');
  };
  const optionalString = (value: unknown, name: string): string | undefined => {
    if (value === undefined || value === null || value === '') return undefined;
    if (typeof value !== 'string') throw new UsageError(`${name} must be a string`);
    return value;
  };

  api.post('/jobs/:id/approve', async (c) => {
    const { overBudget } = await body(c);
    return c.json(
      await jobView(session, await approveJob(session, c.req.param('id'), { overBudget: overBudget === true })),
    );
  });
  api.post('/jobs/:id/reject', async (c) => {
    const input = await body(c);
    const feedback = optionalString(input.feedback, 'feedback');
    if (!feedback?.trim()) throw new UsageError('feedback is empty: say what was wrong with the test result');
    const { revisedPrompt, ...status } = await rejectJob(session, c.req.param('id'), {
      feedback,
      prompt: optionalString(input.prompt, 'prompt'),
    });
    return c.json({ ...(await jobView(session, status)), ...(revisedPrompt !== undefined ? { revisedPrompt } : {}) });
  });
  api.post('/jobs/:id/pause', async (c) => c.json(await jobView(session, await pauseJob(session, c.req.param('id')))));
  api.post('/jobs/:id/resume', async (c) => {
    const { budgetUsd, ignoreBreaker } = await body(c);
    if (budgetUsd !== undefined && !(typeof budgetUsd === 'number' && budgetUsd > 0))
      throw new UsageError('budgetUsd must be an amount above 0');
    if (ignoreBreaker !== undefined && typeof ignoreBreaker !== 'boolean')
      throw new UsageError('ignoreBreaker must be true or false');
    const status = await resumeJob(session, c.req.param('id'), { budgetUsd, ignoreBreaker });
    return c.json(await jobView(session, status));
  });
  api.post('/jobs/:id/cancel', async (c) => {
    await cancelJob(session, c.req.param('id'));
    return c.json({ jobId: c.req.param('id'), cancelling: true });
  });
  api.post('/jobs/:id/retry', async (c) => {
    const { statuses } = await body(c);
    const allowed = ['failed', 'cancelled', 'expired'] as const;
    if (statuses !== undefined && !(Array.isArray(statuses) && statuses.every((s) => allowed.includes(s as never))))
      throw new UsageError('statuses must be a list of failed, cancelled, expired');
    return c.json(await retryJob(session, c.req.param('id'), statuses as (typeof allowed)[number][] | undefined));
  });

  /** The job's status whenever it changes, until it ends (then the stream closes). */
  api.get('/jobs/:id/events', async (c) => {
    const jobId = c.req.param('id');
    await getStatus(session, jobId); // a missing job is a 404, not an empty stream
    return streamSSE(c, async (stream) => {
      let last = '';
      let id = 0;
      while (!stream.aborted) {
        const status = statusJson(await getStatus(session, jobId));
        const data = JSON.stringify(status);
        if (data !== last) await stream.writeSSE({ event: 'status', data, id: String((id += 1)) });
        last = data;
        if (isTerminal(status.status)) break;
        await stream.sleep(EVENTS_EVERY_MS);
      }
    });
  });

  api.notFound((c) => c.json({ error: `no route ${c.req.method} ${c.req.path}`, hint: 'see docs/dashboard.md' }, 404));
  api.onError((err, c) => errorResponse(c, err));
  return api;
}

export function errorResponse(c: Context, err: unknown): Response {
  if (err instanceof UserError) {
    const status =
      err instanceof NotFoundError
        ? 404
        : err instanceof ConflictError
          ? 409
          : err instanceof UsageError
            ? 400
            : err instanceof NoWorkerError
              ? 503
              : 409;
    return c.json({ error: err.message, hint: err.hint ?? null }, status);
  }
  // Not the user's doing: say what failed without internals (stack traces stay in the server's log).
  console.error(err);
  return c.json({ error: 'internal error', hint: "see the dashboard's log" }, 500);
}
