/**
 * Splits an agent's output into lines without ever holding more than one line's limit: a line
 * longer than `maxLineChars` is cut there and marked, and the rest of it is counted, not kept.
 * Linear in what it reads: each chunk is searched once and a line's parts are joined once.
 * (Measured on 2b7a411: one 50 MB line, accumulated and re-split at every 64 KB chunk, took the
 * worker to V8's 4 GB heap limit and killed it.)
 */

/** How a cut line ends: what was kept, then how much was left out. */
export function cutMarker(omittedChars: number): string {
  return ` … [line cut: ${omittedChars.toLocaleString('en-US')} more characters]`;
}

export class LineSplitter {
  private parts: string[] = [];
  private length = 0;
  /** Characters of the current line dropped past the limit. */
  private omitted = 0;
  /** Lines that were cut, so far. */
  cutLines = 0;

  constructor(private readonly maxLineChars: number) {}

  /** The lines a chunk completes, in order. */
  push(chunk: string): string[] {
    const lines: string[] = [];
    let start = 0;
    for (let nl = chunk.indexOf('\n'); nl !== -1; nl = chunk.indexOf('\n', start)) {
      this.take(chunk, start, nl);
      lines.push(this.flush());
      start = nl + 1;
    }
    this.take(chunk, start, chunk.length);
    return lines;
  }

  /** The last line, when the output did not end with a newline. */
  end(): string[] {
    return this.length > 0 || this.omitted > 0 ? [this.flush()] : [];
  }

  private take(chunk: string, from: number, to: number): void {
    const room = this.maxLineChars - this.length;
    let kept = Math.min(room, to - from);
    // Never keep half of a surrogate pair: Postgres refuses a lone one in jsonb.
    if (kept > 0 && kept < to - from && isHighSurrogate(chunk.charCodeAt(from + kept - 1))) kept -= 1;
    if (kept > 0) {
      this.parts.push(from === 0 && to === chunk.length && kept === to ? chunk : chunk.slice(from, from + kept));
      this.length += kept;
    }
    this.omitted += to - from - Math.max(kept, 0);
    // Once cut, the line keeps nothing more (the room a dropped surrogate left stays empty).
    if (this.omitted > 0) this.length = this.maxLineChars;
  }

  private flush(): string {
    const line = this.parts.length === 1 ? this.parts[0]! : this.parts.join('');
    const cut = this.omitted;
    this.parts = [];
    this.length = 0;
    this.omitted = 0;
    if (cut === 0) return line;
    this.cutLines += 1;
    return line + cutMarker(cut);
  }
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}
