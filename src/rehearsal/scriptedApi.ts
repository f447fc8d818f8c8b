/**
 * Scripted model APIs: a tiny local HTTP server that speaks enough of Anthropic's Messages API
 * for the real `claude` CLI (ANTHROPIC_BASE_URL=<url>), and of OpenAI's Responses API for the
 * real `codex` CLI (a provider with base_url <url>/v1), to run them offline. Replies are
 * deterministic and come from scriptedAnswers.ts and responsesAnswers.ts; this file only does HTTP.
 *
 * - POST /v1/responses: SSE (response.created, one response.output_item.done, response.completed).
 * - POST /v1/messages (the CLI appends `?beta=true`): SSE when `stream: true`, JSON otherwise.
 *   The model is echoed; usage is estimated from the request size so the CLI reports a cost.
 * - POST /v1/messages/count_tokens: `{"input_tokens": N}`.
 * - HEAD|GET /api/hello (the CLI's connectivity probe when nonessential traffic is allowed): 200.
 * - Anything else: Anthropic-shaped 404 JSON.
 * - Faults (`[[fault:SPEC]]` in the prompt, or `defaultFault` / SCRIPTED_API_FAULT for every unit
 *   prompt) answer with the real status and an Anthropic error body (429 adds `retry-after`);
 *   `hang` holds the socket until close(); `slow=MS` delays a normal answer. `xN` budgets are
 *   counted per server instance, keyed by prompt text. Side requests (neither tools nor the CLI's
 *   environment block) never fault, so they cannot spend a budget.
 * - A global rate limit (`rateLimitPerSecond` / SCRIPTED_API_RATE_LIMIT / `--rate-limit`): at most
 *   N model requests, of both APIs and all callers, in any second; beyond, 429 with `retry-after`.
 * - A usage window (`usageLimit`), as a claude.ai subscription's: N model requests, then 429s
 *   carrying `anthropic-ratelimit-unified-*` headers (status rejected, the reset in epoch
 *   seconds) for S seconds, then N more. The real CLI, logged in with an OAuth token, reports
 *   them as a refused `rate_limit_event` with `resetsAt`.
 */
import { appendFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { RateLimiter } from './rateLimiter.js';
import { decideResponse, openAiError, type ScriptedResponse } from './responsesAnswers.js';
import { decideReply, parseFaultSpec, type Fault, type FaultSpec, type ScriptedMessage } from './scriptedAnswers.js';

export interface ScriptedApiOptions {
  port?: number;
  host?: string;
  /** Fault SPEC applied to every unit prompt, e.g. `529x1`; defaults to $SCRIPTED_API_FAULT. */
  defaultFault?: string;
  /**
   * Append every unit prompt as received to this file, one JSON line `{"api","prompt"}` each:
   * what tests check prompts against. Defaults to $SCRIPTED_API_LOG.
   */
  logFile?: string;
  /**
   * At most this many model requests per second over all callers; beyond, 429 with
   * `retry-after` (whole seconds). Defaults to $SCRIPTED_API_RATE_LIMIT; none when unset.
   */
  rateLimitPerSecond?: number;
  /** A usage window: `requests` model requests, then refusals until `resetSeconds` later. */
  usageLimit?: { requests: number; resetSeconds: number };
}

export interface ScriptedApi {
  url: string;
  port: number;
  close(): Promise<void>;
  /** HTTP requests, model requests among them, faults served, and model requests over the rate limit. */
  stats(): { requests: number; modelRequests: number; faultsServed: number; rateLimited: number };
}

/** Large enough for long conversations; anything bigger is refused rather than buffered. */
const MAX_BODY_BYTES = 64 * 1024 * 1024;

export async function startScriptedApi(options: ScriptedApiOptions = {}): Promise<ScriptedApi> {
  const defaultFault = options.defaultFault ?? process.env.SCRIPTED_API_FAULT;
  const logFile = options.logFile ?? process.env.SCRIPTED_API_LOG;
  const logPrompt = async (api: 'messages' | 'responses', prompt: string): Promise<void> => {
    if (logFile) await appendFile(logFile, `${JSON.stringify({ api, prompt })}\n`);
  };
  if (defaultFault !== undefined && parseFaultSpec(defaultFault) === undefined) {
    throw new Error(`Unknown scripted fault "${defaultFault}"`);
  }
  const counters = { requests: 0, modelRequests: 0, faultsServed: 0 };
  const rateLimit = options.rateLimitPerSecond ?? numberFromEnv('SCRIPTED_API_RATE_LIMIT');
  const limiter = rateLimit === undefined ? null : new RateLimiter(rateLimit);
  const usage = { used: 0, resetsAt: 0 };
  /** The usage window's refusal headers, or null when the request fits in the window. */
  function spendUsage(now: number): Record<string, string> | null {
    const limit = options.usageLimit;
    if (!limit) return null;
    if (usage.resetsAt > 0 && now >= usage.resetsAt) Object.assign(usage, { used: 0, resetsAt: 0 });
    if (usage.used < limit.requests) {
      usage.used++;
      return null;
    }
    // Whole seconds, as the header carries it; rounded up so the window is never reported open early.
    if (usage.resetsAt === 0) usage.resetsAt = Math.ceil((now + limit.resetSeconds * 1000) / 1000) * 1000;
    return {
      'anthropic-ratelimit-unified-status': 'rejected',
      'anthropic-ratelimit-unified-reset': String(usage.resetsAt / 1000),
      'anthropic-ratelimit-unified-representative-claim': 'five_hour',
    };
  }
  const faultsByPrompt = new Map<string, number>();
  const closing = new AbortController();

  /** Returns the fault to serve now, if any, and spends one unit of its `xN` budget. */
  function takeFault(decision: { fault?: FaultSpec; faultKey: string }): Fault | undefined {
    if (decision.fault === undefined) return undefined;
    const served = faultsByPrompt.get(decision.faultKey) ?? 0;
    if (decision.fault.times !== undefined && served >= decision.fault.times) return undefined;
    faultsByPrompt.set(decision.faultKey, served + 1);
    counters.faultsServed++;
    return decision.fault.fault;
  }

  /**
   * Serve the decision's fault, if its budget allows one: an error (worded by the protocol), a
   * hang, or a delay. Returns whether the normal answer should follow.
   */
  async function serveFault(
    decision: { fault?: FaultSpec; faultKey: string },
    res: http.ServerResponse,
    error: (fault: Extract<Fault, { kind: 'error' }>) => { status: number; body: object },
  ): Promise<boolean> {
    counters.modelRequests++;
    const usageRefusal = spendUsage(Date.now());
    const admission = usageRefusal ? undefined : limiter?.take(Date.now());
    const fault: Fault | undefined = usageRefusal
      ? { kind: 'error', status: 429, errorType: 'rate_limit_error', message: 'scripted: usage limit reached' }
      : admission && !admission.admitted
        ? {
            kind: 'error',
            status: 429,
            errorType: 'rate_limit_error',
            message: `scripted: over the rate limit of ${rateLimit} requests per second`,
            retryAfterSeconds: admission.retryAfterSeconds,
          }
        : takeFault(decision);
    if (fault?.kind === 'hang') return false; // never answer; close() destroys the socket
    if (fault?.kind === 'error') {
      const headers: Record<string, string> = {
        ...usageRefusal,
        ...(fault.retryAfterSeconds === undefined ? {} : { 'retry-after': String(fault.retryAfterSeconds) }),
      };
      const { status, body } = error(fault);
      sendJson(res, status, body, headers);
      return false;
    }
    if (fault?.kind === 'slow') {
      try {
        await sleep(fault.ms, undefined, { signal: closing.signal });
      } catch {
        return false; // server closing
      }
    }
    return true;
  }

  async function handleMessages(body: unknown, res: http.ServerResponse): Promise<void> {
    const decision = decideReply(body, defaultFault);
    if (!decision.side) await logPrompt('messages', decision.faultKey);
    const answer = await serveFault(decision, res, (f) => ({
      status: f.status,
      body: apiError(f.errorType, f.message),
    }));
    if (!answer) return;
    if ((body as { stream?: unknown }).stream === true) sendStream(res, decision.message);
    else sendJson(res, 200, toJsonMessage(decision.message));
  }

  async function handleResponses(body: unknown, res: http.ServerResponse): Promise<void> {
    const decision = decideResponse(body, defaultFault);
    await logPrompt('responses', decision.faultKey);
    if (await serveFault(decision, res, (f) => openAiError(f, decision.response.model)))
      sendResponseStream(res, decision.response);
  }

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method === 'POST' && path === '/v1/responses') {
      let body: unknown;
      try {
        body = JSON.parse(await readBody(req));
      } catch (error) {
        sendJson(res, 400, {
          error: { message: `scripted: ${(error as Error).message}`, type: 'invalid_request_error', code: null },
        });
        return;
      }
      await handleResponses(body, res);
      return;
    }
    if (req.method === 'POST' && (path === '/v1/messages' || path === '/v1/messages/count_tokens')) {
      let body: unknown;
      try {
        body = JSON.parse(await readBody(req));
        if (typeof body !== 'object' || body === null) throw new Error('body must be a JSON object');
      } catch (error) {
        sendJson(res, 400, apiError('invalid_request_error', `scripted: ${(error as Error).message}`));
        return;
      }
      if (path === '/v1/messages') await handleMessages(body, res);
      else sendJson(res, 200, { input_tokens: decideReply(body).message.usage.input_tokens });
      return;
    }
    if (path === '/api/hello') sendJson(res, 200, {});
    else sendJson(res, 404, apiError('not_found_error', `scripted: no route for ${req.method} ${path}`));
  }

  const server = http.createServer((req, res) => {
    counters.requests++;
    handle(req, res).catch(() => res.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve);
  });
  const { address, port } = server.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;

  return {
    url: `http://${host}:${port}`,
    port,
    stats: () => ({ ...counters, rateLimited: limiter?.refused ?? 0 }),
    close: async () => {
      closing.abort();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections(); // includes hung requests and idle keep-alive sockets
      await closed;
    },
  };
}

function numberFromEnv(name: string): number | undefined {
  const value = process.env[name];
  return value === undefined || value === '' ? undefined : Number(value);
}

const apiError = (type: string, message: string) => ({ type: 'error', error: { type, message } });

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) reject(new Error('request body too large'));
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function sendJson(
  res: http.ServerResponse,
  status: number,
  value: unknown,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { 'content-type': 'application/json', 'request-id': 'req_scripted', ...headers });
  res.end(JSON.stringify(value));
}

function toJsonMessage(m: ScriptedMessage) {
  return {
    id: m.id,
    type: 'message',
    role: 'assistant',
    model: m.model,
    content: m.content,
    stop_reason: m.stopReason,
    stop_sequence: null,
    usage: { ...m.usage, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
  };
}

/** Streams the message as the real API does: start, one start/delta/stop per block, delta, stop. */
function sendStream(res: http.ServerResponse, m: ScriptedMessage): void {
  res.writeHead(200, {
    'content-type': 'text/event-stream',
    'cache-control': 'no-cache',
    'request-id': 'req_scripted',
  });
  const event = (type: string, data: object) =>
    res.write(`event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`);
  const start = toJsonMessage(m);
  event('message_start', {
    message: { ...start, content: [], stop_reason: null, usage: { ...start.usage, output_tokens: 1 } },
  });
  m.content.forEach((block, index) => {
    if (block.type === 'text') {
      event('content_block_start', { index, content_block: { type: 'text', text: '' } });
      event('content_block_delta', { index, delta: { type: 'text_delta', text: block.text } });
    } else {
      event('content_block_start', { index, content_block: { ...block, input: {} } });
      event('content_block_delta', {
        index,
        delta: { type: 'input_json_delta', partial_json: JSON.stringify(block.input) },
      });
    }
    event('content_block_stop', { index });
  });
  event('message_delta', {
    delta: { stop_reason: m.stopReason, stop_sequence: null },
    usage: { output_tokens: m.usage.output_tokens },
  });
  event('message_stop', {});
  res.end();
}

/** A Responses API stream, as codex needs it: created, the one output item, completed with usage. */
function sendResponseStream(res: http.ServerResponse, r: ScriptedResponse): void {
  res.writeHead(200, {
    'content-type': 'text/event-stream',
    'cache-control': 'no-cache',
    'x-request-id': 'req_scripted',
  });
  const event = (type: string, data: object) =>
    res.write(`event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`);
  const item =
    r.item.type === 'message'
      ? {
          type: 'message',
          id: `msg_${r.id}`,
          role: 'assistant',
          status: 'completed',
          content: [{ type: 'output_text', text: r.item.text, annotations: [] }],
        }
      : {
          type: 'custom_tool_call',
          id: `ctc_${r.id}`,
          call_id: r.item.callId,
          name: r.item.name,
          input: r.item.input,
          status: 'completed',
        };
  event('response.created', { response: { id: r.id, model: r.model, status: 'in_progress' } });
  event('response.output_item.done', { output_index: 0, item });
  const usage = {
    input_tokens: r.usage.input_tokens,
    input_tokens_details: { cached_tokens: 0 },
    output_tokens: r.usage.output_tokens,
    output_tokens_details: { reasoning_tokens: 0 },
    total_tokens: r.usage.input_tokens + r.usage.output_tokens,
  };
  event('response.completed', { response: { id: r.id, model: r.model, status: 'completed', usage } });
  res.end();
}
