/**
 * Pure decision logic of the scripted Responses API (no I/O), the protocol the Codex CLI speaks:
 * given a parsed `POST /v1/responses` body, decide what the model "says" — an `apply_patch` call
 * that writes the file the prompt names, a final message, or a fault to serve first. The same
 * conventions as the Messages API (scriptedAnswers.ts): faults are `[[fault:SPEC]]` markers in
 * the prompt, answers are deterministic, and the texts match, so jobs read alike on both agents.
 *
 * Measured against codex-cli 0.169.0 (docs/codex-contract.md): the unit prompt is the last user
 * message that is not codex's `<environment_context>` block; the working directory is that
 * block's `<cwd>`; after a tool round the input ends with a `custom_tool_call_output`.
 */
import { posix } from 'node:path';
import {
  excerpt,
  FAULT_MARKER,
  hash,
  parseFaultSpec,
  targetFile,
  tokens,
  type Fault,
  type FaultSpec,
} from './scriptedAnswers.js';
import { isObject, objects } from './untrusted.js';

export type ResponseItem =
  { type: 'message'; text: string } | { type: 'custom_tool_call'; callId: string; name: 'apply_patch'; input: string };

export interface ScriptedResponse {
  id: string;
  model: string;
  item: ResponseItem;
  usage: { input_tokens: number; output_tokens: number };
}

export interface ResponsesDecision {
  response: ScriptedResponse;
  fault?: FaultSpec;
  faultKey: string;
}

const CWD = /<cwd>([^<]+)<\/cwd>/;

type InputItem = Record<string, unknown> & { type?: unknown; role?: unknown; content?: unknown };

function inputTexts(item: InputItem): string[] {
  if (typeof item.content === 'string') return [item.content];
  return objects(item.content)
    .filter((c) => (c.type === 'input_text' || c.type === 'output_text') && typeof c.text === 'string')
    .map((c) => c.text as string);
}

const isContext = (text: string) => text.trimStart().startsWith('<environment_context>');

export function decideResponse(body: unknown, defaultFault?: string): ResponsesDecision {
  const req = isObject(body) ? body : {};
  const model = typeof req.model === 'string' ? req.model : 'gpt-scripted';
  const input: InputItem[] = objects(req.input);
  let human = -1;
  let cwd: string | undefined;
  input.forEach((item, i) => {
    if (item.type !== 'message' && item.type !== undefined) return;
    if (item.role !== 'user') return;
    const texts = inputTexts(item);
    cwd = texts.map((t) => CWD.exec(t)?.[1]?.trim()).find(Boolean) ?? cwd;
    if (texts.some((t) => !isContext(t) && t.trim())) human = i;
  });
  const prompt =
    human >= 0
      ? inputTexts(input[human]!)
          .filter((t) => !isContext(t))
          .at(-1)!
          .trim()
      : '';
  const file = targetFile(prompt, undefined);
  const outputs = input.slice(human + 1).filter((i) => i.type === 'custom_tool_call_output');

  let item: ResponseItem;
  if (file === undefined) {
    const text =
      `Scripted answer: this deterministic reply stands in for a model's answer to "${excerpt(prompt)}". ` +
      'No model was called; the scripted Responses API derived it from the prompt alone.';
    item = { type: 'message', text };
  } else {
    const written = posix.isAbsolute(file) || cwd === undefined ? file : posix.join(cwd, file);
    if (outputs.length === 0) {
      const patch = `*** Begin Patch\n*** Add File: ${file}\n+Scripted output for: ${excerpt(prompt)}\n*** End Patch\n`;
      item = {
        type: 'custom_tool_call',
        callId: `call_${hash(prompt, String(input.length))}`,
        name: 'apply_patch',
        input: patch,
      };
    } else {
      const output = String(outputs.at(-1)!.output ?? '');
      const ok = /Success/.test(output);
      item = {
        type: 'message',
        text: ok ? `Scripted answer: wrote ${written}` : `Scripted answer: could not write ${written}`,
      };
    }
  }

  const marker = FAULT_MARKER.exec(prompt)?.[1] ?? defaultFault;
  const fault = marker === undefined ? undefined : parseFaultSpec(marker, model);
  const response: ScriptedResponse = {
    id: `resp_${hash(model, prompt, String(input.length))}`,
    model,
    item,
    usage: { input_tokens: tokens(req.input), output_tokens: tokens(item) },
  };
  return fault === undefined ? { response, faultKey: prompt } : { response, fault, faultKey: prompt };
}

/** An Anthropic-worded fault as the OpenAI API would answer it: status and `{error:{message,type,code}}`. */
export function openAiError(fault: Extract<Fault, { kind: 'error' }>, model: string): { status: number; body: object } {
  const error = (message: string, type: string, code: string | null) => ({
    error: { message, type, param: null, code },
  });
  switch (fault.status) {
    case 401:
      return {
        status: 401,
        body: error('Incorrect API key provided: sk-rehearsal.', 'invalid_request_error', 'invalid_api_key'),
      };
    case 403:
      return {
        status: 403,
        body: error('scripted: permission denied', 'invalid_request_error', 'unsupported_country_region_territory'),
      };
    case 404:
      return {
        status: 404,
        body: error(
          `The model \`${model}\` does not exist or you do not have access to it.`,
          'invalid_request_error',
          'model_not_found',
        ),
      };
    case 429:
      return { status: 429, body: error('scripted: rate limited', 'requests', 'rate_limit_exceeded') };
    case 529:
      return { status: 503, body: error('scripted: overloaded', 'server_error', 'server_is_overloaded') };
    case 400:
      return { status: 400, body: error('scripted: invalid request', 'invalid_request_error', null) };
    default:
      return {
        status: fault.status,
        body: error('The server had an error while processing your request.', 'server_error', null),
      };
  }
}
