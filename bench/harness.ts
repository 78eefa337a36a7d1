// Shared benchmark plumbing: timing by median of repetitions, and one flat record of named
// numbers that `npm run bench -- --json FILE` writes out.

export interface TimeOptions { warmup?: number; reps?: number; minMs?: number }

export class Bench {
  readonly results: Record<string, number | string> = {};
  constructor(private readonly onlyPrefixes: string[]) {}

  /** Whether a benchmark whose keys start with `key` should run under --only. */
  wants(key: string): boolean {
    return this.onlyPrefixes.length === 0 || this.onlyPrefixes.some((p) => key.startsWith(p) || p.startsWith(key));
  }

  record(key: string, value: number | string, note = ''): void {
    this.results[key] = typeof value === 'number' ? Number(value.toPrecision(6)) : value;
    const shown = typeof value === 'number' ? value.toFixed(value >= 100 ? 1 : 3) : value;
    console.log(`${key.padEnd(44)} ${String(shown).padStart(12)}  ${note}`);
  }

  /** Median wall time of fn in milliseconds, after warm-up; runs at least `reps` times and until
   * `minMs` has passed. */
  time(fn: () => void, { warmup = 1, reps = 5, minMs = 0 }: TimeOptions = {}): number {
    for (let i = 0; i < warmup; i++) fn();
    const times: number[] = [];
    const start = performance.now();
    while (times.length < reps || performance.now() - start < minMs) {
      const t0 = performance.now();
      fn();
      times.push(performance.now() - t0);
    }
    times.sort((a, b) => a - b);
    return times[Math.floor(times.length / 2)];
  }

  async timeAsync(fn: () => Promise<void>, { warmup = 1, reps = 5 }: TimeOptions = {}): Promise<number> {
    for (let i = 0; i < warmup; i++) await fn();
    const times: number[] = [];
    for (let i = 0; i < reps; i++) {
      const t0 = performance.now();
      await fn();
      times.push(performance.now() - t0);
    }
    times.sort((a, b) => a - b);
    return times[Math.floor(times.length / 2)];
  }
}

/** A benchmark module: bench/<name>.ts exporting `run`. */
export type BenchModule = { prefixes: string[]; run(b: Bench): Promise<void> };
