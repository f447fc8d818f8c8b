/**
 * The MCP server: every tool is one call into src/client, with the CLI's wording for errors (a
 * tool error result, `error: … / hint: …`), so an assistant can drive a job end to end: create it,
 * read the test results, approve or reject, follow it, read its units, conversations and results.
 */
import path from 'node:path';
import { McpServer, ResourceTemplate } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { createJob, prepareJob } from '../client/createJob.js';
import { stackDashboardLink } from '../client/dashboardLink.js';
import { approveJob, cancelJob, getStatus, pauseJob, rejectJob, resumeJob, retryJob } from '../client/jobs.js';
import { jobView } from '../client/jobView.js';
import { resultPage } from '../client/results.js';
import type { Session } from '../client/session.js';
import { statusJson } from '../client/statusJson.js';
import { sourceSamples, synthesizeTemplate } from '../client/synthesize.js';
import { attemptEvents, listJobs, requireJob, unitConversation } from '../client/units.js';
import { UNIT_STATUSES } from '../domain/index.js';
import { UserError } from '../errors.js';
import { buildSpec, standInForIntent } from '../spec/loadSpec.js';
import { conversationSummary, ENTRIES_PER_ATTEMPT, shortenedEntries } from './conversationSummary.js';
import { createJobShape, rawSpecOf } from './jobInput.js';

const jobId = z.string().describe('the job id (job-…), or a pipeline stage job (pipe-….STAGE)');
const paging = {
  cursor: z.string().optional().describe('nextCursor from the previous page'),
  limit: z.number().int().min(1).max(500).optional().describe('units per page (default 50)'),
};

export function createMcpServer(session: () => Promise<Session>, version: string): McpServer {
  const server = new McpServer({ name: 'agentic-batch', version });
  const tool = <Shape extends z.ZodRawShape>(
    name: string,
    description: string,
    inputSchema: Shape,
    run: (input: z.infer<z.ZodObject<Shape>>, session: Session) => Promise<unknown>,
  ): void => {
    // The SDK types the callback from the literal shape; through this generic helper it cannot.
    const callback = async (input: z.infer<z.ZodObject<Shape>>) => answer(async () => run(input, await session()));
    server.registerTool(name, { description, inputSchema }, callback as never);
  };

  tool(
    'create_job',
    'Create a batch job: one agent run per unit of a source. It first runs its test units, then waits for approve_job (unless testUnits is 0).',
    createJobShape,
    async (input, s) => {
      const raw = rawSpecOf(input);
      const fromIntent = standInForIntent(raw);
      const spec = buildSpec(raw, path.resolve(input.cwd ?? process.cwd()), 'create_job');
      await prepareJob(spec);
      if (fromIntent) spec.prompt = await synthesizeTemplate(spec, await sourceSamples(spec, {}));
      const created = await createJob(s, spec);
      const waits = spec.testUnits > 0 && !created.existing;
      return {
        ...created,
        prompt: spec.prompt,
        waitsForApproval: waits,
        next: waits
          ? `call get_job until its status is READY, read its testResults, then approve_job or reject_job`
          : 'call get_job to follow it',
      };
    },
  );

  tool(
    'get_job',
    "A job's status: state, unit counts, cost, the cost forecast, and its test units' results",
    { jobId },
    async ({ jobId: id }, s) => jobView(s, await getStatus(s, id)),
  );

  tool(
    'list_jobs',
    'Jobs, newest first',
    { limit: z.number().int().min(1).max(500).optional() },
    async ({ limit }, s) =>
      (await listJobs(s, limit ?? 50)).map((j) => ({
        jobId: j.id,
        name: j.name,
        state: j.state,
        totalUnits: j.totalUnits,
        costUsd: j.costUsd,
        createdAt: j.createdAt,
      })),
  );

  tool(
    'approve_job',
    'Approve a READY job: its remaining units start',
    { jobId, overBudget: z.boolean().optional().describe('approve although the forecast exceeds the budget') },
    async ({ jobId: id, overBudget }, s) => jobView(s, await approveJob(s, id, { overBudget })),
  );

  tool(
    'reject_job',
    "Reject a READY job's test results: it re-tests, with a revised prompt if given (a job made from an intent has the agent revise it from the feedback)",
    {
      jobId,
      feedback: z.string().min(1).describe('what was wrong with the test results'),
      prompt: z.string().optional().describe('the revised prompt template'),
    },
    async ({ jobId: id, feedback, prompt }, s) => {
      const { revisedPrompt, ...status } = await rejectJob(s, id, { feedback, prompt });
      return { ...(await jobView(s, status)), ...(revisedPrompt !== undefined ? { revisedPrompt } : {}) };
    },
  );

  tool('pause_job', 'Pause a job: no unit starts; running ones finish', { jobId }, async ({ jobId: id }, s) =>
    jobView(s, await pauseJob(s, id)),
  );

  tool(
    'resume_job',
    'Resume a PAUSED job, optionally with a higher budget; ignoreBreaker: the breaker paused it, go on and never pause this job again',
    { jobId, budgetUsd: z.number().positive().optional(), ignoreBreaker: z.boolean().optional() },
    async ({ jobId: id, budgetUsd, ignoreBreaker }, s) =>
      jobView(s, await resumeJob(s, id, { budgetUsd, ignoreBreaker })),
  );

  tool(
    'cancel_job',
    'Cancel a job: running agents are stopped, pending units marked cancelled',
    { jobId },
    async ({ jobId: id }, s) => {
      await cancelJob(s, id);
      return { jobId: id, cancelling: true, next: 'get_job shows CANCELLED once every unit is settled' };
    },
  );

  tool(
    'retry_job',
    'Run the failed (or cancelled, expired) units of an ended job again, in the same job',
    {
      jobId,
      statuses: z
        .array(z.enum(['failed', 'cancelled', 'expired']))
        .min(1)
        .optional(),
    },
    async ({ jobId: id, statuses }, s) => retryJob(s, id, statuses),
  );

  tool(
    'list_units',
    "A page of a job's units: key, status, attempts, cost, error",
    {
      jobId,
      status: z.enum(UNIT_STATUSES).optional(),
      q: z.string().optional().describe('keys containing this'),
      ...paging,
    },
    async ({ jobId: id, status, q, cursor, limit }, s) => {
      const page = await resultPage(s, id, { status, q, cursor, limit });
      return {
        units: page.units.map((u) => ({
          unitId: u.unitId,
          key: u.key,
          status: u.status,
          attempts: u.attempts,
          costUsd: u.costUsd,
          error: u.error,
        })),
        nextCursor: page.nextCursor,
      };
    },
  );

  tool(
    'get_unit',
    "A unit (by id or key) with each attempt's conversation, shortened to a readable size",
    { jobId, unit: z.string().describe("the unit's id or key") },
    async ({ jobId: id, unit }, s) =>
      conversationSummary(await unitConversation(s, id, unit, { eventsPerAttempt: ENTRIES_PER_ATTEMPT, last: true })),
  );

  tool(
    'get_events',
    "A page of one attempt's conversation, in order (attempt ids are in get_unit's attempts)",
    {
      jobId,
      attemptId: z.number().int().positive(),
      afterSeq: z
        .number()
        .int()
        .min(0)
        .optional()
        .describe('nextEventSeq from the previous page (default: from the start)'),
      limit: z.number().int().min(1).max(500).optional().describe('events per page (default 100)'),
    },
    async ({ jobId: id, attemptId, afterSeq, limit }, s) => {
      const page = await attemptEvents(s, id, attemptId, { afterSeq, limit: limit ?? 100 });
      return { conversation: shortenedEntries(page.events), nextEventSeq: page.nextEventSeq };
    },
  );

  tool(
    'get_results',
    "A page of a job's results: each unit's result, structured output, check runs and changes",
    { jobId, status: z.enum(UNIT_STATUSES).optional(), ...paging },
    async ({ jobId: id, status, cursor, limit }, s) => resultPage(s, id, { status, cursor, limit }),
  );

  tool(
    'dashboard_url',
    "The web dashboard's address (with its token) where a person can watch and steer the jobs; with a jobId, that job's page",
    { jobId: z.string().optional().describe("link to this job's page rather than the list of jobs") },
    async ({ jobId: id }, s) => {
      if (id !== undefined) await requireJob(s, id);
      const url = await stackDashboardLink(s, id === undefined ? '/' : `/jobs/${encodeURIComponent(id)}`);
      if (!url)
        throw new UserError(
          'the dashboard is not running',
          'start the stack with `agentic-batch up -d` (it serves the dashboard), or run `agentic-batch dashboard`',
        );
      return { url };
    },
  );

  server.registerResource(
    'job',
    new ResourceTemplate('agentic-batch://jobs/{id}', { list: undefined }),
    { description: "A job's status (as get_job)", mimeType: 'application/json' },
    async (uri, { id }) => {
      const s = await session();
      const status = await getStatus(s, String(id));
      return { contents: [{ uri: uri.href, mimeType: 'application/json', text: JSON.stringify(statusJson(status)) }] };
    },
  );
  return server;
}

/** A tool's answer: its value as JSON, or the error as the CLI words it. */
async function answer(run: () => Promise<unknown>): Promise<CallToolResult> {
  try {
    return { content: [{ type: 'text', text: JSON.stringify(await run(), null, 2) }] };
  } catch (err) {
    const text =
      err instanceof UserError
        ? `error: ${err.message}${err.hint ? `\nhint: ${err.hint}` : ''}`
        : `error: ${(err as Error).message?.split('\n')[0] ?? String(err)}`;
    return { content: [{ type: 'text', text }], isError: true };
  }
}
