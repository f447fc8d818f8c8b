import { describe, it, expect } from '@jest/globals';
import { placeholdersIn, renderTemplate, TemplateError, validateTemplate } from '../../src/spec/template.js';

const AVAILABLE = ['file_path', 'relative_path', 'file_name'] as const;

/** Run fn, expect a TemplateError, and hand back its message for further checks. */
function templateError(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(TemplateError);
    return (err as Error).message;
  }
  throw new Error('expected a TemplateError, but nothing was thrown');
}

describe('placeholdersIn', () => {
  it('finds each placeholder once, in order of first use, tolerating inner spaces', () => {
    expect(placeholdersIn('Read {{file_path}} then {{ file_name }} and {{file_path}} again')).toEqual(['file_path', 'file_name']);
  });

  it('finds nothing in a prompt without placeholders, or in malformed ones', () => {
    expect(placeholdersIn('just text, {single} braces, {{ 1bad }}')).toEqual([]);
  });
});

describe('renderTemplate', () => {
  it('substitutes strings verbatim: no escaping, no quoting, braces and $ kept', () => {
    const value = 'a "quoted" path/with $1 & {{braces}}\nand a newline';
    expect(renderTemplate('<{{file_path}}>', { file_path: value })).toBe(`<${value}>`);
  });

  it('stringifies numbers and other non-strings', () => {
    expect(renderTemplate('size={{file_size}} ok={{flag}} none={{nothing}}', { file_size: 1234, flag: true, nothing: null })).toBe(
      'size=1234 ok=true none=null',
    );
  });

  it('replaces every occurrence, including ones written with spaces', () => {
    expect(renderTemplate('{{a}}-{{ a }}-{{b}}', { a: 'x', b: 'y' })).toBe('x-x-y');
  });

  it('leaves text that is not a placeholder alone', () => {
    expect(renderTemplate('plain {text} with } and {', {})).toBe('plain {text} with } and {');
  });

  it('throws a TemplateError naming the placeholder whose value is missing', () => {
    const message = templateError(() => renderTemplate('Summarise {{relative_path}}', { file_path: '/x' }));
    expect(message).toContain('{{relative_path}}');
  });

  it('treats a placeholder named like an Object.prototype member as missing, not as that member', () => {
    const message = templateError(() => renderTemplate('{{constructor}} / {{toString}}', { file_path: '/x' }));
    expect(message).toContain('{{constructor}}');
  });
});

describe('validateTemplate', () => {
  it('accepts a prompt that only uses available placeholders (or none)', () => {
    expect(() => validateTemplate('Summarise {{file_path}} ({{ file_name }})', AVAILABLE)).not.toThrow();
    expect(() => validateTemplate('No placeholders at all', AVAILABLE)).not.toThrow();
  });

  it('rejects an unknown placeholder, naming it; the hint lists the available ones', () => {
    const message = templateError(() => validateTemplate('Summarise {{file_path}} and {{filepath}}', AVAILABLE));
    expect(message).toContain('{{filepath}}');
    expect(message).toMatch(/unknown placeholder /);
    let hint: string | undefined;
    try {
      validateTemplate('{{filepath}}', AVAILABLE);
    } catch (err) {
      hint = (err as TemplateError).hint;
    }
    expect(hint).toBe('available: {{file_path}}, {{relative_path}}, {{file_name}}');
  });

  it('names every unknown placeholder (plural) when there are several', () => {
    const message = templateError(() => validateTemplate('{{foo}} {{file_name}} {{bar}}', AVAILABLE));
    expect(message).toMatch(/unknown placeholders/);
    expect(message).toContain('{{foo}}');
    expect(message).toContain('{{bar}}');
    const [unknownPart] = message.split('; available');
    expect(unknownPart).not.toContain('file_name');
  });

  it('rejects a placeholder that starts with a digit, naming its line', () => {
    const message = templateError(() => validateTemplate('line one\nline two {{ 1bad }}\nline three', AVAILABLE));
    expect(message).toMatch(/malformed placeholder/);
    expect(message).toContain('1bad');
    expect(message).toContain('line 2');
  });

  it('rejects an unclosed placeholder, naming its line', () => {
    const message = templateError(() => validateTemplate('first\nsecond\nthird {{file_path\nfourth', AVAILABLE));
    expect(message).toMatch(/malformed placeholder "\{\{file_path"/);
    expect(message).toContain('line 3');
  });

  it('reports line 1 for a malformed placeholder on the first line', () => {
    expect(templateError(() => validateTemplate('{{file-name}} is here', AVAILABLE))).toContain('line 1');
  });

  it('rejects an empty or whitespace-only prompt', () => {
    expect(templateError(() => validateTemplate('', AVAILABLE))).toMatch(/prompt is empty/);
    expect(templateError(() => validateTemplate('  \n\t ', AVAILABLE))).toMatch(/prompt is empty/);
  });
});
