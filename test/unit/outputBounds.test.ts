/** What an attempt reads and keeps of an agent's output: lines cut at a limit, events within a budget. */
import { describe, expect, it } from '@jest/globals';
import { EventBudget, type PreparedEvent } from '../../activities/eventBudget.js';
import { cutMarker, LineSplitter } from '../../src/agents/lines.js';

describe('LineSplitter', () => {
  it('splits chunks into lines, a line across chunks joined once', () => {
    const s = new LineSplitter(100);
    expect(s.push('one\ntw')).toEqual(['one']);
    expect(s.push('o')).toEqual([]);
    expect(s.push('\nthree\n\nfour')).toEqual(['two', 'three', '']);
    expect(s.end()).toEqual(['four']);
    expect(s.end()).toEqual([]);
  });

  it('cuts a line past the limit and counts what it left out, however it arrives', () => {
    const s = new LineSplitter(10);
    const out = [...s.push('abcdefgh'), ...s.push('ijklmnop'), ...s.push('qrst\nnext\n')];
    expect(out).toEqual([`abcdefghij${cutMarker(10)}`, 'next']);
    expect(s.cutLines).toBe(1);
    expect(cutMarker(49_999_990)).toBe(' … [line cut: 49,999,990 more characters]');
  });

  it('never keeps half of a surrogate pair', () => {
    const s = new LineSplitter(3);
    const [line] = s.push('ab😀cd\n');
    expect(line).toBe(`ab${cutMarker(4)}`);
  });

  it('is linear: a 50 MB line in 64 KB chunks is cut at once and held at the limit', () => {
    const s = new LineSplitter(4 * 1024 * 1024);
    const chunk = 'x'.repeat(64 * 1024);
    const started = performance.now();
    for (let i = 0; i < 800; i++) expect(s.push(chunk)).toEqual([]);
    const [line] = s.push('\n');
    expect(line!.length).toBe(4 * 1024 * 1024 + cutMarker(800 * 64 * 1024 - 4 * 1024 * 1024).length);
    // Quadratic re-splitting of 50 MB took minutes; this is milliseconds (bounded loosely, for a loaded machine).
    expect(performance.now() - started).toBeLessThan(5000);
  });
});

describe('EventBudget', () => {
  const event = (type: string, n: number): PreparedEvent => ({ type, subtype: null, json: `{"n":${n}}`, at: n });

  it('keeps everything within the budget, in order, with no summary', () => {
    const b = new EventBudget({ events: 100, eventBytes: 1_000_000 });
    const placed = Array.from({ length: 95 }, (_, i) => b.place(event('stdout', i)));
    expect(placed.filter((p) => p === 'head')).toHaveLength(90);
    expect(b.end(0).map((e) => JSON.parse(e.json).n)).toEqual([90, 91, 92, 93, 94]);
    expect(b.omittedEvents).toBe(0);
  });

  it('keeps the first nine tenths and the last tenth, and says what it left out between', () => {
    const b = new EventBudget({ events: 100, eventBytes: 1_000_000 });
    for (let i = 0; i < 2_000_000; i++) b.place(event(i % 2 ? 'stderr' : 'stdout', i));
    const [summary, ...tail] = b.end(7);
    expect(tail).toHaveLength(10);
    expect(tail.map((e) => JSON.parse(e.json).n)).toEqual(Array.from({ length: 10 }, (_, i) => 1_999_990 + i));
    const data = JSON.parse(summary!.json);
    expect(summary).toMatchObject({ type: 'omitted', at: 7 });
    expect(b.omittedEvents).toBe(2_000_000 - 100);
    expect(data.omitted.stderr.events + data.omitted.stdout.events).toBe(1_999_900);
    expect(data.text).toMatch(/^… 999,950 more stdout events \([\d.]+ MB\), 999,950 more stderr events/);
    expect(data.text).toContain('keeps its first 90 and last 10 events');
  });

  it('bounds the bytes kept as well as the events', () => {
    const b = new EventBudget({ events: 10_000, eventBytes: 10_000 });
    const big = (i: number): PreparedEvent => ({ type: 'stdout', subtype: null, json: 'x'.repeat(1000), at: i });
    const head = Array.from({ length: 50 }, (_, i) => b.place(big(i))).filter((p) => p === 'head');
    expect(head).toHaveLength(9);
    const kept = b.end(0);
    expect(kept.slice(1).reduce((n, e) => n + e.json.length, 0)).toBeLessThanOrEqual(1000);
    expect(kept[0]!.type).toBe('omitted');
  });
});
