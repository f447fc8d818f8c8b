import { describe, it, expect } from '@jest/globals';
import { duration, excerpt, table, truncate, usd } from '../../src/cli/render/format.js';

describe('usd', () => {
  it('shows four decimals for small amounts, where cents are not enough', () => {
    expect(usd(0)).toBe('$0.0000');
    expect(usd(0.099352)).toBe('$0.0994');
    expect(usd(1.5)).toBe('$1.5000');
    expect(usd(99.5)).toBe('$99.5000');
  });

  it('shows cents from $100 up', () => {
    expect(usd(100)).toBe('$100.00');
    expect(usd(1234.567)).toBe('$1234.57');
  });
});

describe('duration', () => {
  it.each([
    [0, '0.0s'],
    [499, '0.5s'],
    [1_500, '1.5s'],
    [9_949, '9.9s'],
    [9_950, '10s'],
    [59_000, '59s'],
    [59_600, '1m 00s'],
    [61_000, '1m 01s'],
    [9 * 60_000 + 5_000, '9m 05s'],
    [59 * 60_000 + 59_000, '59m 59s'],
    [3_600_000, '1h 00m'],
    [3_600_000 + 2 * 60_000 + 5_000, '1h 02m'],
    [26 * 3_600_000 + 30 * 60_000, '26h 30m'],
  ])('%d ms → %s', (ms, text) => {
    expect(duration(ms)).toBe(text);
  });

  it.each([-1, Number.NaN, Number.POSITIVE_INFINITY])('%d is unknown: ?', (ms) => {
    expect(duration(ms)).toBe('?');
  });
});

describe('truncate', () => {
  it('leaves short text alone', () => {
    expect(truncate('hello', 5)).toBe('hello');
  });

  it('collapses whitespace and newlines to one line', () => {
    expect(truncate('  a\n\n  b\tc  ', 80)).toBe('a b c');
  });

  it('cuts long text to exactly max characters, ending with an ellipsis', () => {
    const out = truncate('abcdefghij', 5);
    expect(out).toBe('abcd…');
    expect(out).toHaveLength(5);
  });

  it('measures the length after collapsing whitespace', () => {
    expect(truncate('a     b', 3)).toBe('a b');
  });
});

describe('excerpt', () => {
  it('indents every line, four spaces by default', () => {
    expect(excerpt('one\ntwo', 5)).toBe('    one\n    two');
  });

  it('keeps the first maxLines lines and says how many were cut', () => {
    expect(excerpt('1\n2\n3\n4\n5', 2, '> ')).toBe('> 1\n> 2\n> … (3 more lines)');
  });

  it('does not count trailing newlines as lines', () => {
    expect(excerpt('1\n2\n\n\n', 2)).toBe('    1\n    2');
  });

  it('keeps blank lines inside the text', () => {
    expect(excerpt('a\n\nb', 3, '')).toBe('a\n\nb');
  });
});

describe('table', () => {
  it('pads every column but the last to its widest cell, two spaces apart', () => {
    const out = table([
      ['ID', 'STATE', 'NAME'],
      ['j-1', 'RUNNING', 'docs'],
      ['job-1234', 'OK', 'a longer name'],
    ]);
    expect(out.split('\n')).toEqual([
      'ID        STATE    NAME',
      'j-1       RUNNING  docs',
      'job-1234  OK       a longer name',
    ]);
  });

  it('does not leave trailing spaces after the last column', () => {
    const out = table([
      ['a', 'long last cell'],
      ['bb', 'x'],
    ]);
    for (const line of out.split('\n')) expect(line).toBe(line.trimEnd());
  });

  it('treats missing cells as empty when measuring', () => {
    expect(table([['a', 'b', 'c'], ['longer']])).toBe('a       b  c\nlonger');
  });

  it('renders no rows as an empty string', () => {
    expect(table([])).toBe('');
  });
});
