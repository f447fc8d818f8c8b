import { describe, it, expect } from '@jest/globals';
import { decideReply, parseFaultSpec, targetFile, workingDirectory } from '../../src/rehearsal/scriptedAnswers.js';

const CWD = '/work/unit-7';
const REMINDER = '<system-reminder>\nAttribution for git commits...\n</system-reminder>\n';
const WRITE_TOOL = { name: 'Write', input_schema: { type: 'object' } };

/** A request shaped like claude 2.1.330's first agent-loop request (see docs/claude-contract.md). */
function cliRequest(prompt: string, extra: Record<string, unknown> = {}) {
  return {
    model: 'claude-opus-5-5',
    stream: true,
    system: [{ type: 'text', text: "You are a Claude agent, built on Anthropic's Claude Agent SDK." }],
    tools: [WRITE_TOOL],
    messages: [
      {
        role: 'user',
        content: [
          { type: 'text', text: REMINDER },
          { type: 'text', text: prompt },
        ],
      },
      {
        role: 'system',
        content: [{ type: 'text', text: `# Environment\n - Primary working directory: ${CWD}\n - Platform: linux` }],
      },
    ],
    ...extra,
  };
}

/** The follow-up request after the CLI ran the tool the first reply asked for. */
function afterToolResult(prompt: string, result: { content: string; is_error?: boolean }) {
  const first = cliRequest(prompt);
  const toolUse = decideReply(first).message.content[0]!;
  const id = toolUse.type === 'tool_use' ? toolUse.id : 'none';
  return {
    ...first,
    messages: [
      ...first.messages,
      { role: 'assistant', content: [toolUse] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: id, ...result }] },
    ],
  };
}

describe('parseFaultSpec', () => {
  it.each([
    ['401', 401, 'authentication_error'],
    ['403', 403, 'permission_error'],
    ['400', 400, 'invalid_request_error'],
    ['404-model', 404, 'not_found_error'],
    ['429', 429, 'rate_limit_error'],
    ['529', 529, 'overloaded_error'],
    ['500', 500, 'api_error'],
  ])('maps %s to an Anthropic error', (spec, status, errorType) => {
    expect(parseFaultSpec(spec)?.fault).toMatchObject({ kind: 'error', status, errorType });
  });

  it('names the model in a model-not-found error and asks 429 callers to retry later', () => {
    expect(parseFaultSpec('404-model', 'claude-x')?.fault).toMatchObject({ message: 'model: claude-x' });
    expect(parseFaultSpec('429')?.fault).toMatchObject({ retryAfterSeconds: 1 });
  });

  it('parses hang, slow and count suffixes', () => {
    expect(parseFaultSpec('hang')).toEqual({ fault: { kind: 'hang' } });
    expect(parseFaultSpec('slow=250')).toEqual({ fault: { kind: 'slow', ms: 250 } });
    expect(parseFaultSpec('529x2')).toMatchObject({ fault: { status: 529 }, times: 2 });
    expect(parseFaultSpec('slow=10x1')).toEqual({ fault: { kind: 'slow', ms: 10 }, times: 1 });
  });

  it('rejects unknown specs', () => {
    for (const spec of ['418', 'slow', 'slow=abc', '529x', 'hangx', '']) expect(parseFaultSpec(spec)).toBeUndefined();
  });
});

describe('workingDirectory', () => {
  it('reads the environment block the CLI sends as a system-role message', () => {
    expect(workingDirectory(cliRequest('hi'))).toBe(CWD);
  });

  it('also reads a plain-string system prompt, and is undefined without one', () => {
    expect(workingDirectory({ system: 'x\n - Primary working directory: /srv/a b\n' })).toBe('/srv/a b');
    expect(workingDirectory({ messages: [{ role: 'user', content: 'hi' }] })).toBeUndefined();
  });
});

describe('targetFile', () => {
  it.each([
    ['Summarise it to the file out/summary.md.', `${CWD}/out/summary.md`],
    ['Save your notes into the file `notes/a b.txt` please', `${CWD}/notes/a b.txt`],
    ['Write "hello" to the file "/tmp/x/hello.txt"', '/tmp/x/hello.txt'],
    ["Write it to the file './rel.txt', thanks", `${CWD}/rel.txt`],
  ])('finds %j', (prompt, expected) => {
    expect(targetFile(prompt, CWD)).toBe(expected);
  });

  it('keeps a relative path as-is without a cwd, and is undefined without the phrase', () => {
    expect(targetFile('to the file a.txt', undefined)).toBe('a.txt');
    expect(targetFile('Write a file called a.txt', CWD)).toBeUndefined();
  });
});

describe('decideReply', () => {
  it('answers a plain prompt with deterministic text that quotes it, echoing the model', () => {
    const { message } = decideReply(cliRequest('Explain monads briefly'));
    expect(message).toMatchObject({ model: 'claude-opus-5-5', stopReason: 'end_turn' });
    expect(message.content).toEqual([
      { type: 'text', text: expect.stringMatching(/^Scripted answer: .*"Explain monads briefly"/) },
    ]);
    expect(decideReply(cliRequest('Explain monads briefly'))).toEqual(
      decideReply(cliRequest('Explain monads briefly')),
    );
  });

  it('reports plausible usage', () => {
    const { usage } = decideReply(cliRequest('hi')).message;
    expect(usage.input_tokens).toBeGreaterThan(10);
    expect(usage.output_tokens).toBeGreaterThan(10);
  });

  it('ignores system reminders when reading the prompt', () => {
    const text = (decideReply(cliRequest('hi')).message.content[0] as { text: string }).text;
    expect(text).toContain('"hi"');
    expect(text).not.toContain('Attribution');
  });

  it('asks for a Write of the named file, then reports it once the tool result arrives', () => {
    const prompt = 'Document main.ts to the file docs/main.md';
    const first = decideReply(cliRequest(prompt)).message;
    expect(first.stopReason).toBe('tool_use');
    expect(first.content).toEqual([
      {
        type: 'tool_use',
        id: expect.stringMatching(/^toolu_/),
        name: 'Write',
        input: { file_path: `${CWD}/docs/main.md`, content: `Scripted output for: ${prompt}\n` },
      },
    ]);

    const done = decideReply(afterToolResult(prompt, { content: 'File created successfully' })).message;
    expect(done.content).toEqual([{ type: 'text', text: `Scripted answer: wrote ${CWD}/docs/main.md` }]);
    const denied = decideReply(afterToolResult(prompt, { content: 'denied', is_error: true })).message;
    expect(denied.content).toEqual([{ type: 'text', text: `Scripted answer: could not write ${CWD}/docs/main.md` }]);
  });

  it('answers the latest human turn of a resumed conversation', () => {
    const resumed = cliRequest('first prompt');
    resumed.messages.push({ role: 'assistant', content: [{ type: 'text', text: 'Scripted answer: ...' }] }, {
      role: 'user',
      content: 'second prompt',
    } as never);
    const { message, faultKey } = decideReply(resumed);
    expect(faultKey).toBe('second prompt');
    expect((message.content[0] as { text: string }).text).toContain('"second prompt"');
  });

  it('takes the newest prompt when a resumed turn merges it into a failed one', () => {
    const merged = cliRequest('second prompt');
    merged.messages[0]!.content.splice(1, 0, { type: 'text', text: 'first prompt [[fault:529]]\n' });
    expect(decideReply(merged)).toMatchObject({ faultKey: 'second prompt' });
    expect(decideReply(merged).fault).toBeUndefined();
  });

  it('attaches the fault named by a marker, keyed by the full prompt', () => {
    const prompt = 'Say hi [[fault:529x2]]';
    const decision = decideReply(cliRequest(prompt));
    expect(decision.fault).toMatchObject({ fault: { status: 529 }, times: 2 });
    expect(decision.faultKey).toBe(prompt);
    expect((decision.message.content[0] as { text: string }).text).not.toContain('[[fault');
  });

  it('applies the default fault unless the prompt carries its own marker', () => {
    expect(decideReply(cliRequest('hi'), '429x1').fault).toMatchObject({ fault: { status: 429 }, times: 1 });
    expect(decideReply(cliRequest('hi [[fault:401]]'), '429x1').fault).toMatchObject({ fault: { status: 401 } });
    expect(decideReply(cliRequest('hi [[fault:teapot]]')).fault).toBeUndefined();
  });

  it('never faults a side request (no tools, no environment block)', () => {
    const side = {
      model: 'claude-haiku-5-5',
      max_tokens: 32,
      messages: [{ role: 'user', content: 'Title for: hi [[fault:401]]' }],
    };
    expect(decideReply(side, '529').fault).toBeUndefined();
    expect(decideReply(side).message.content[0]).toMatchObject({ type: 'text' });
  });

  it('still treats an agent-loop request without tools (--tools "") as the unit prompt', () => {
    expect(decideReply(cliRequest('hi [[fault:401]]', { tools: [] })).fault).toBeDefined();
  });

  it('never throws on odd input', () => {
    for (const body of [
      null,
      'text',
      42,
      [],
      {},
      { messages: 'x' },
      { messages: [null, { role: 'user', content: [null, 7] }] },
    ]) {
      expect(decideReply(body).message.content[0]).toMatchObject({ type: 'text' });
    }
  });
});

describe('structured output (the CLI’s StructuredOutput tool, from --json-schema)', () => {
  const schema = {
    type: 'object',
    properties: {
      sentiment: { type: 'string', enum: ['good', 'bad'] },
      score: { type: 'number', minimum: 0 },
      tags: { type: 'array', items: { type: 'string' } },
      flagged: { type: 'boolean' },
    },
    required: ['sentiment', 'score'],
  };
  const tools = [WRITE_TOOL, { name: 'StructuredOutput', input_schema: schema }];
  const toolUse = (body: unknown) => {
    const first = decideReply(body).message.content[0]!;
    return first.type === 'tool_use' ? first : null;
  };

  it('calls StructuredOutput with an object built from the schema', () => {
    const call = toolUse(cliRequest('Classify the review.', { tools }));
    expect(call).toMatchObject({
      name: 'StructuredOutput',
      input: { sentiment: 'good', score: 0, tags: ['scripted tags'], flagged: true },
    });
  });

  it('calls it with the object an [[output:…]] marker gives, on every turn of the conversation', () => {
    const prompt = 'Classify. [[output:{"sentiment":"meh"}]]';
    expect(toolUse(cliRequest(prompt, { tools }))?.input).toEqual({ sentiment: 'meh' });
    // Refused by the CLI's check, the model is reminded in a turn of its own: it answers the same.
    const reminded = cliRequest(prompt, { tools });
    reminded.messages.push(
      { role: 'assistant', content: [{ type: 'text', text: 'done' }] },
      { role: 'user', content: [{ type: 'text', text: '[structured-output-enforce] Call the tool now.' }] },
    );
    expect(toolUse(reminded)?.input).toEqual({ sentiment: 'meh' });
  });

  it('writes the named file first, then gives the output once, then ends its turn', () => {
    const prompt = 'Summarize to the file out.md';
    const first = toolUse(cliRequest(prompt, { tools }));
    expect(first?.name).toBe('Write');
    const afterWrite = {
      ...cliRequest(prompt, { tools }),
      messages: [
        ...cliRequest(prompt).messages,
        { role: 'assistant', content: [first] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: first!.id, content: 'ok' }] },
      ],
    };
    const output = toolUse(afterWrite);
    expect(output?.name).toBe('StructuredOutput');
    afterWrite.messages.push(
      { role: 'assistant', content: [output] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: output!.id, content: 'provided' }] },
    );
    expect(decideReply(afterWrite).message.stopReason).toBe('end_turn');
  });
});

describe('the reply marker', () => {
  const markdown = '# Summary\n\n- **one**\n- `two`';

  it('makes the final text of a prompt without a file the marker text', () => {
    const { message } = decideReply(cliRequest(`Summarize it. [[reply:${markdown}]]`));
    expect(message.content).toEqual([{ type: 'text', text: markdown }]);
    expect(message.stopReason).toBe('end_turn');
  });

  it('writes the file first, then answers with the marker text', () => {
    const prompt = `Write it to the file out/a.md [[reply:${markdown}]]`;
    expect(decideReply(cliRequest(prompt)).message.content[0]).toMatchObject({ type: 'tool_use', name: 'Write' });
    const { message } = decideReply(afterToolResult(prompt, { content: 'File created' }));
    expect(message.content).toEqual([{ type: 'text', text: markdown }]);
  });
});
