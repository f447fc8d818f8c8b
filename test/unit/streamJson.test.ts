import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it, expect } from '@jest/globals';
import { parseStreamLine, type StreamEvent } from '../../src/agents/claude/streamJson.js';

const DIR = fileURLToPath(new URL('../fixtures/transcripts/', import.meta.url));
const TRANSCRIPTS = readdirSync(DIR)
  .filter((f) => f.endsWith('.ndjson'))
  .sort();

function lines(name: string): string[] {
  return readFileSync(path.join(DIR, name), 'utf8').split('\n');
}

function events(name: string): StreamEvent[] {
  return lines(name)
    .map(parseStreamLine)
    .filter((e): e is StreamEvent => e !== null);
}

describe('parseStreamLine over the captured transcripts', () => {
  it('has the transcripts the tests rely on', () => {
    expect(TRANSCRIPTS).toEqual(
      expect.arrayContaining([
        'happy.ndjson',
        'write-tool.ndjson',
        'error-401.ndjson',
        'error-429.ndjson',
        'error-529.ndjson',
        'max-turns.ndjson',
      ]),
    );
  });

  it.each(TRANSCRIPTS)('%s: every non-blank line is a JSON event, kept whole, none downgraded to text', (name) => {
    const nonBlank = lines(name).filter((l) => l.trim());
    const parsed = nonBlank.map(parseStreamLine);
    expect(parsed).toHaveLength(nonBlank.length);
    parsed.forEach((event, i) => {
      expect(event).not.toBeNull();
      expect(event!.type).not.toBe('text');
      expect(event!.data).toEqual(JSON.parse(nonBlank[i]!));
    });
  });

  it.each(TRANSCRIPTS)('%s: the first line is the init event and gives the session id', (name) => {
    const [init] = events(name);
    const expected = (JSON.parse(lines(name)[0]!) as { session_id: string }).session_id;
    expect(init!.type).toBe('system');
    expect(init!.subtype).toBe('init');
    expect(expected).toMatch(/^[0-9a-f-]{36}$/);
    expect(init!.sessionId).toBe(expected);
    expect(init!.result).toBeNull();
  });

  it.each(TRANSCRIPTS)('%s: exactly one result event, found although "type" is not its first key', (name) => {
    const resultLine = lines(name).find((l) => l.includes('"type":"result"'))!;
    expect(resultLine.startsWith('{"type"')).toBe(false);
    const results = events(name).filter((e) => e.result);
    expect(results).toHaveLength(1);
    const [event] = results;
    const data = JSON.parse(resultLine) as Record<string, unknown>;
    expect(event!.type).toBe('result');
    expect(event!.result!.subtype).toBe(data.subtype);
    expect(event!.result!.is_error).toBe(data.is_error);
    expect(event!.result!.num_turns).toBe(data.num_turns);
    expect(event!.sessionId).toBe(data.session_id);
    expect(event!.result!.session_id).toBe(data.session_id);
  });

  it('the result event carries the fields the classifier acts on', () => {
    const happy = events('happy.ndjson').find((e) => e.result)!.result!;
    expect(happy).toMatchObject({ subtype: 'success', is_error: false });
    expect(happy.result).toMatch(/^Scripted answer/);
    expect(typeof happy.total_cost_usd).toBe('number');
    expect(happy.total_cost_usd).toBeGreaterThan(0);

    const e401 = events('error-401.ndjson').find((e) => e.result)!.result!;
    expect(e401).toMatchObject({ subtype: 'success', is_error: true, api_error_status: 401 });
    expect(e401.result).toMatch(/Invalid API key/);

    const maxTurns = events('max-turns.ndjson').find((e) => e.result)!.result!;
    expect(maxTurns).toMatchObject({ subtype: 'error_max_turns', is_error: true });
    expect(maxTurns.num_turns).toBe(2);
  });

  it('assistant tool_use blocks give the tool names (write-tool.ndjson asks for Write)', () => {
    const toolUses = events('write-tool.ndjson').flatMap((e) => e.toolUses);
    expect(toolUses).toEqual(['Write']);
    const asking = events('write-tool.ndjson').find((e) => e.toolUses.length > 0)!;
    expect(asking.type).toBe('assistant');
  });

  it('assistant events with only text give no tool names', () => {
    const assistants = events('happy.ndjson').filter((e) => e.type === 'assistant');
    expect(assistants.length).toBeGreaterThan(0);
    for (const event of assistants) expect(event.toolUses).toEqual([]);
  });

  it('a model response is an assistant message from the API, not the synthetic one the CLI writes about an error', () => {
    for (const answered of ['happy.ndjson', 'api-retry.ndjson', 'write-tool.ndjson', 'max-turns.ndjson']) {
      expect(events(answered).filter((e) => e.modelAnswered).length).toBeGreaterThan(0);
    }
    for (const refused of ['error-429.ndjson', 'error-529.ndjson', 'error-401.ndjson', 'usage-limit.ndjson']) {
      const all = events(refused);
      expect(all.some((e) => e.type === 'assistant')).toBe(true); // the CLI's own "API Error: …" message
      expect(all.filter((e) => e.modelAnswered)).toEqual([]);
    }
  });
  it('non-init, non-result events pass through with their data (api_retry, permission_denied)', () => {
    const retry = events('api-retry.ndjson').find((e) => e.subtype === 'api_retry')!;
    expect(retry.type).toBe('system');
    expect(retry.data).toMatchObject({ attempt: 1, error_status: 529, error: 'overloaded' });
    expect(retry.result).toBeNull();
    expect(retry.toolUses).toEqual([]);

    const denied = events('permission-denied.ndjson').find((e) => e.subtype === 'permission_denied')!;
    expect(denied.data).toMatchObject({ tool_name: 'Write' });
  });
});

describe('parseStreamLine on unusual lines', () => {
  it('returns null for blank and whitespace-only lines', () => {
    expect(parseStreamLine('')).toBeNull();
    expect(parseStreamLine('   \t')).toBeNull();
    expect(parseStreamLine('\r')).toBeNull();
  });

  it('keeps a line that is not JSON as a text event, trimmed', () => {
    const event = parseStreamLine('  Error: something went wrong {oops  ');
    expect(event).toEqual({
      type: 'text',
      subtype: null,
      data: { text: 'Error: something went wrong {oops' },
      sessionId: null,
      toolUses: [],
      result: null,
      rateLimit: null,
      modelAnswered: false,
    });
  });

  it("reads a rate_limit_event's status, reset and window, and leaves an allowed one's reset absent", () => {
    const rejected = parseStreamLine(
      '{"type":"rate_limit_event","rate_limit_info":{"status":"rejected","resetsAt":1795489060,"rateLimitType":"five_hour","isUsingOverage":false}}',
    );
    expect(rejected?.rateLimit).toEqual({
      status: 'rejected',
      resetsAt: 1795489060,
      rateLimitType: 'five_hour',
      isUsingOverage: false,
    });
    const allowed = parseStreamLine('{"type":"rate_limit_event","rate_limit_info":{"status":"allowed"}}');
    expect(allowed?.rateLimit).toEqual({ status: 'allowed' });
    expect(parseStreamLine('{"type":"rate_limit_event"}')?.rateLimit).toBeNull();
  });

  it.each(['42', '"a string"', 'null', 'true', '[1,2,3]', '[{"type":"result"}]'])(
    'keeps JSON that is not an object (%s) as text',
    (line) => {
      const event = parseStreamLine(line)!;
      expect(event.type).toBe('text');
      expect(event.data).toEqual({ text: line });
      expect(event.result).toBeNull();
    },
  );

  it('passes an unknown event type through with its data', () => {
    const line = JSON.stringify({ type: 'stream_event', subtype: 'delta', payload: { n: [1, 2] }, session_id: 'abc' });
    const event = parseStreamLine(line)!;
    expect(event.type).toBe('stream_event');
    expect(event.subtype).toBe('delta');
    expect(event.data).toEqual(JSON.parse(line));
    expect(event.result).toBeNull();
    expect(event.toolUses).toEqual([]);
  });

  it('gives type "unknown" to an object without a string type', () => {
    expect(parseStreamLine('{"hello":"world"}')!.type).toBe('unknown');
    expect(parseStreamLine('{"type":7}')!.type).toBe('unknown');
  });

  it('does not treat an init event without a session id as giving one', () => {
    expect(parseStreamLine('{"type":"system","subtype":"init"}')!.sessionId).toBeNull();
  });

  it('parses a minimal result line, defaulting is_error to false', () => {
    const event = parseStreamLine('{"subtype":"success","type":"result","result":"done"}')!;
    expect(event.result).toMatchObject({ type: 'result', subtype: 'success', is_error: false, result: 'done' });
    expect(event.sessionId).toBeNull();
  });

  it('collects several tool names from one assistant message', () => {
    const line = JSON.stringify({
      type: 'assistant',
      message: {
        content: [
          { type: 'text', text: 'doing it' },
          { type: 'tool_use', name: 'Read', id: '1', input: {} },
          { type: 'tool_use', name: 'Bash', id: '2', input: {} },
        ],
      },
    });
    expect(parseStreamLine(line)!.toolUses).toEqual(['Read', 'Bash']);
  });
});
