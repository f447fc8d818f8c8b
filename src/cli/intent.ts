/** `--intent`: the agent writes the prompt; the person running the job accepts it, or writes their own. */
import { createInterface } from 'node:readline/promises';
import type { ReadContext } from '../client/createJob.js';
import { sourceSamples, synthesizeTemplate } from '../client/synthesize.js';
import { UserError } from '../errors.js';
import type { JobSpec } from '../spec/schema.js';
import { TemplateError, validateTemplate } from '../spec/template.js';
import { say } from './output.js';

/** The prompt for a spec written from its intent: shown, and accepted (--yes, or no terminal) or edited. */
export async function promptFromIntent(spec: JobSpec, read: ReadContext, ask: boolean): Promise<string> {
  say(`writing the prompt from the intent: ${spec.intent}…`);
  const template = await synthesizeTemplate(spec, await sourceSamples(spec, read));
  say(`the agent wrote this prompt:\n${'─'.repeat(60)}\n${template}\n${'─'.repeat(60)}`);
  if (!ask || !process.stdin.isTTY) return template;
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    for (;;) {
      const answer = (await rl.question('Use it? [Y/n/e] ')).trim().toLowerCase();
      if (answer === '' || answer === 'y' || answer === 'yes') return template;
      if (answer === 'n' || answer === 'no')
        throw new UserError(
          'the written prompt was declined: nothing was created',
          'reword --intent, or give --prompt',
        );
      if (answer === 'e' || answer === 'edit') {
        say("Your prompt template: type it, then a line with a single '.'.");
        const lines: string[] = [];
        for (let line = await rl.question(''); line !== '.'; line = await rl.question('')) lines.push(line);
        const edited = lines.join('\n');
        try {
          validateTemplate(edited, null);
          return edited;
        } catch (err) {
          if (!(err instanceof TemplateError)) throw err;
          say(`error: ${err.message}${err.hint ? ` (${err.hint})` : ''}`);
          continue;
        }
      }
      say('answer y (use it), n (create nothing) or e (write your own)');
    }
  } finally {
    rl.close();
  }
}
