import { describe, it, expect } from '@jest/globals';
import {
  missingPlaceholder,
  placeholdersIn,
  renderTemplate,
  TemplateError,
  validateTemplate,
  type TemplateUnit,
} from '../../src/spec/template.js';

const unit = (payload: Record<string, unknown>, key = 'k1', index = 1): TemplateUnit => ({ key, index, payload });

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
    expect(placeholdersIn('Read {{file_path}} then {{ file_name }} and {{file_path}} again')).toEqual([
      'file_path',
      'file_name',
    ]);
  });

  it('finds nothing in a prompt without placeholders, or in malformed ones', () => {
    expect(placeholdersIn('just text, {single} braces, {{ 1bad }}')).toEqual([]);
  });

  it('finds nested paths, array indexes, reserved names and CSV-style names', () => {
    expect(placeholdersIn('{{a.b.c}} {{tags.0}} {{_key}} {{Product Name}} {{price-eur}}')).toEqual([
      'a.b.c',
      'tags.0',
      '_key',
      'Product Name',
      'price-eur',
    ]);
  });
});

describe('renderTemplate', () => {
  it('substitutes strings verbatim: no escaping, no quoting, braces and $ kept', () => {
    const value = 'a "quoted" path/with $1 & {{braces}}\nand a newline';
    expect(renderTemplate('<{{file_path}}>', unit({ file_path: value }))).toBe(`<${value}>`);
  });

  it('renders numbers and booleans as text, null as nothing, objects and arrays as JSON', () => {
    const payload = { size: 1234, flag: true, nothing: null, tags: ['a', 'b'], meta: { x: 1 } };
    expect(renderTemplate('size={{size}} ok={{flag}} none=[{{nothing}}] {{tags}} {{meta}}', unit(payload))).toBe(
      'size=1234 ok=true none=[] ["a","b"] {"x":1}',
    );
  });

  it('follows nested paths and array indexes', () => {
    const payload = { customer: { address: { city: 'Lyon' } }, tags: ['red', 'blue'] };
    expect(renderTemplate('{{customer.address.city}} / {{tags.1}}', unit(payload))).toBe('Lyon / blue');
  });

  it('prefers a field whose name contains a dot over the path', () => {
    expect(renderTemplate('{{price.eur}}', unit({ 'price.eur': '9', price: { eur: '10' } }))).toBe('9');
  });

  it('fills the reserved names: the key, the 1-based index and the whole record as JSON', () => {
    const payload = { name: 'Lamp', nested: { a: [1, 2] } };
    expect(renderTemplate('{{_key}}|{{_index}}|{{_json}}', unit(payload, 'SKU-7', 42))).toBe(
      'SKU-7|42|{"name":"Lamp","nested":{"a":[1,2]}}',
    );
  });

  it('replaces every occurrence, including ones written with spaces', () => {
    expect(renderTemplate('{{a}}-{{ a }}-{{b}}', unit({ a: 'x', b: 'y' }))).toBe('x-x-y');
  });

  it('leaves text that is not a placeholder alone', () => {
    expect(renderTemplate('plain {text} with } and {', unit({}))).toBe('plain {text} with } and {');
  });

  it('throws a TemplateError naming the placeholder whose value is missing', () => {
    const message = templateError(() => renderTemplate('Summarise {{relative_path}}', unit({ file_path: '/x' })));
    expect(message).toContain('{{relative_path}}');
  });

  it('treats a placeholder named like an Object.prototype member as missing, not as that member', () => {
    const message = templateError(() => renderTemplate('{{constructor}} / {{toString}}', unit({ file_path: '/x' })));
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
    expect(hint).toBe('available: {{file_path}}, {{relative_path}}, {{file_name}}, {{_key}}, {{_index}}, {{_json}}');
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
    expect(templateError(() => validateTemplate('{{file:name}} is here', AVAILABLE))).toContain('line 1');
  });

  it('accepts the reserved names for every source', () => {
    expect(() => validateTemplate('{{_key}} {{_index}} {{_json}}', AVAILABLE)).not.toThrow();
  });

  it('checks only the syntax when the fields come from each record', () => {
    expect(() => validateTemplate('{{anything.at.all}} {{Product Name}}', null)).not.toThrow();
    expect(templateError(() => validateTemplate('{{ok}} {{broken', null))).toMatch(/malformed placeholder/);
  });

  it('names the template it checks', () => {
    expect(templateError(() => validateTemplate('{{nope}}', AVAILABLE, 'argument 2 of agent.command'))).toContain(
      'in argument 2 of agent.command',
    );
  });

  it('rejects an empty or whitespace-only prompt', () => {
    expect(templateError(() => validateTemplate('', AVAILABLE))).toMatch(/prompt is empty/);
    expect(templateError(() => validateTemplate('  \n\t ', AVAILABLE))).toMatch(/prompt is empty/);
  });
});

describe('missingPlaceholder', () => {
  const record = { id: 1, title: 'T', body: null, customer: { name: 'Ada' } };

  it('is null when the record has every field (null counts as present), reserved names aside', () => {
    expect(missingPlaceholder(['id', 'title', 'body', 'customer.name', '_key', '_json'], record)).toBeNull();
  });

  it('names the first field the record lacks, nested paths included', () => {
    expect(missingPlaceholder(['id', 'customer.email', 'price'], record)).toBe('customer.email');
    expect(missingPlaceholder(['title.length'], record)).toBe('title.length');
  });
});
