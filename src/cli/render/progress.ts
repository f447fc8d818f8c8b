/**
 * The live view of a running job: a progress bar with counts, cost and ETA on a terminal, or a
 * line whenever the counts change when stderr is not a terminal (logs, CI).
 */
import cliProgress from 'cli-progress';
import type { JobStatus } from '../../domain/index.js';
import { duration, usd } from './format.js';

export class ProgressView {
  private readonly bar: cliProgress.SingleBar | null;
  private readonly samples: { at: number; settled: number }[] = [];
  private lastLine = '';
  private started = false;

  constructor(private readonly stream: NodeJS.WriteStream = process.stderr) {
    this.bar = stream.isTTY
      ? new cliProgress.SingleBar(
          {
            stream,
            format: '{bar} {value}/{total} | ✓ {succeeded} ✗ {failed} ⟳ {running} | {cost} | ETA {timeLeft} | {state}',
            barsize: 24,
            hideCursor: true,
            clearOnComplete: false,
          },
          cliProgress.Presets.shades_classic,
        )
      : null;
  }

  update(status: JobStatus): void {
    const { counts } = status;
    const settled = counts.succeeded + counts.failed + counts.cancelled + counts.expired;
    const fields = {
      succeeded: counts.succeeded,
      failed: counts.failed,
      running: counts.running,
      cost: usd(status.costUsd),
      timeLeft: this.eta(settled, counts.total),
      state:
        status.state +
        (status.state === 'PAUSED' && status.message ? ` (${status.message})` : '') +
        (status.throttle.text ? ` | ${status.throttle.text}` : '') +
        (status.memory ? ` | ${status.memory.text}` : ''),
    };
    if (this.bar) {
      if (this.started) this.bar.update(settled, fields);
      else this.bar.start(counts.total, settled, fields);
      this.started = true;
      return;
    }
    const line = `${settled}/${counts.total} settled | ✓ ${fields.succeeded} ✗ ${fields.failed} ⟳ ${fields.running} | ${fields.cost} | ${fields.state}`;
    if (line !== this.lastLine) this.stream.write(`${line}\n`);
    this.lastLine = line;
  }

  stop(): void {
    this.bar?.stop();
  }

  /** From the settle rate over the last minute of samples. */
  private eta(settled: number, total: number): string {
    const now = Date.now();
    this.samples.push({ at: now, settled });
    while (this.samples.length > 2 && now - this.samples[0]!.at > 60_000) this.samples.shift();
    const first = this.samples[0]!;
    const rate = (settled - first.settled) / ((now - first.at) / 1000);
    if (settled >= total) return 'done';
    if (!(rate > 0)) return '…';
    return duration(((total - settled) / rate) * 1000);
  }
}
