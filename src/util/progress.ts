// A one-line progress bar for long work: count/total, rate, ETA and free-form fields (loss, lr).
// Redraws in place on a terminal at most every 100 ms; elsewhere (CI, pipes) prints a plain line
// every 10% so logs stay short.

export interface ProgressOptions {
  /** Label before the bar. */
  label: string;
  total: number;
  /** Unit of the rate ("it", "docs", "tok"). */
  unit?: string;
  stream?: NodeJS.WriteStream;
}

function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.round(seconds);
  return s >= 3600 ? `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m` : s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}

function formatRate(r: number): string {
  return r >= 1e6 ? `${(r / 1e6).toFixed(2)}M` : r >= 1e4 ? `${(r / 1e3).toFixed(1)}k` : r >= 100 ? r.toFixed(0) : r.toFixed(2);
}

export class Progress {
  private done = 0;
  /** What the rate counts (tokens, say), when it differs from the steps the bar counts. */
  private rateCount = 0;
  private readonly start = performance.now();
  private lastDraw = 0;
  private lastDecile = -1;
  private fields = '';
  private readonly stream: NodeJS.WriteStream;
  private readonly tty: boolean;

  constructor(private readonly opts: ProgressOptions) {
    this.stream = opts.stream ?? process.stderr;
    this.tty = Boolean(this.stream.isTTY) && !process.env.CI;
  }

  /** Advances by n and sets the displayed fields (e.g. { loss: '2.31', lr: '3e-4' }). */
  tick(n = 1, fields?: Record<string, string | number>, rateCount = n): void {
    this.done += n;
    this.rateCount += rateCount;
    if (fields) this.fields = Object.entries(fields).map(([k, v]) => `${k} ${v}`).join('  ');
    this.draw(false);
  }

  /** Finishes the line. */
  finish(): void {
    this.draw(true);
    if (this.tty) this.stream.write('\n');
  }

  private line(): string {
    const { label, total, unit = 'it' } = this.opts;
    const elapsed = (performance.now() - this.start) / 1000;
    const rate = elapsed > 0 ? this.rateCount / elapsed : 0;
    const frac = total > 0 ? Math.min(1, this.done / total) : 0;
    const eta = this.done > 0 ? (elapsed / this.done) * (total - this.done) : Infinity;
    const width = 24, filled = Math.round(frac * width);
    const bar = '█'.repeat(filled) + '░'.repeat(width - filled);
    return `${label} ${bar} ${this.done}/${total}  ${formatRate(rate)} ${unit}/s  ${formatDuration(elapsed)}<${formatDuration(eta)}  ${this.fields}`;
  }

  private draw(force: boolean): void {
    const now = performance.now();
    if (this.tty) {
      if (!force && now - this.lastDraw < 100) return;
      this.lastDraw = now;
      this.stream.write(`\r\x1b[K${this.line()}`);
      return;
    }
    const decile = this.opts.total > 0 ? Math.floor((10 * this.done) / this.opts.total) : 0;
    if (force || decile > this.lastDecile) {
      this.lastDecile = decile;
      this.stream.write(this.line() + '\n');
    }
  }
}
