import { describe, expect, it } from '@jest/globals';
import { pgJson, pgText } from '../../src/store/pgSafe.js';

describe('pgText / pgJson', () => {
  it('replaces NUL in text, and keeps null', () => {
    expect(pgText('a\u0000b')).toBe('a\uFFFDb');
    expect(pgText(null)).toBeNull();
  });

  it('replaces the NUL escape in JSON but not a literal backslash-u0000', () => {
    const value = { out: 'bin\u0000ary', literal: '\\u0000', both: '\\\u0000' };
    const back = JSON.parse(pgJson(value)) as typeof value;
    expect(back.out).toBe('bin\uFFFDary');
    expect(back.literal).toBe('\\u0000');
    expect(back.both).toBe('\\\uFFFD');
    expect(pgJson(value)).not.toMatch(/(?<!\\)(\\\\)*\\u0000/);
  });
});
