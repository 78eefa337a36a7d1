// The pretraining data loader: fixed windows of T + 1 tokens cut from token shards (stride T, so
// the last target of one window is the first input of the next), visited in a seeded random order
// that is reshuffled every epoch. Its whole position is {epoch, cursor}: `state()` goes into the
// checkpoint, and `TokenLoader.open(paths, cfg, state)` resumes on exactly the next batch.
import { Rng } from '../engine/rng.js';
import { hashString32 } from './hash.js';
import { ShardReader } from './shards.js';

export interface LoaderConfig {
  /** Sequence length T: each example is x = w[0..T), y = w[1..T]. */
  seqLen: number;
  batchSize: number;
  seed: number;
}

/** Everything needed to resume; stored in checkpoints. */
export interface LoaderState {
  seed: number;
  seqLen: number;
  batchSize: number;
  epoch: number;
  /** Windows of this epoch's order already served. */
  cursor: number;
  /** Token count of each shard, to catch resuming on different data. */
  shardTokens: number[];
}

export interface LoaderBatch {
  /** x: [B, T] inputs, y: [B, T] next-token targets, row-major. */
  x: Int32Array;
  y: Int32Array;
  /** Position of the first window of this batch. */
  epoch: number;
  cursor: number;
}

export class TokenLoader {
  private readonly shards: ShardReader[];
  /** First global window index of each shard, then the total: [shards + 1]. */
  private readonly windowStart: number[];
  private order: Uint32Array;
  private epoch = 0;
  private cursor = 0;

  private constructor(paths: string[], readonly cfg: LoaderConfig) {
    if (!(Number.isInteger(cfg.seqLen) && cfg.seqLen >= 1)) throw new RangeError(`TokenLoader: seqLen must be a positive integer, got ${cfg.seqLen}`);
    if (!(Number.isInteger(cfg.batchSize) && cfg.batchSize >= 1)) throw new RangeError(`TokenLoader: batchSize must be a positive integer, got ${cfg.batchSize}`);
    this.shards = paths.map((p) => new ShardReader(p));
    this.windowStart = [0];
    for (const s of this.shards) this.windowStart.push(this.windowStart[this.windowStart.length - 1] + Math.max(0, Math.floor((s.numTokens - 1) / cfg.seqLen)));
    if (this.numWindows === 0) {
      this.close();
      throw new Error(`TokenLoader: ${paths.length} shard(s) hold no window of ${cfg.seqLen + 1} tokens`);
    }
    this.order = this.permutation(0);
  }

  /** Opens shards; with a saved state, continues where it left off. */
  static open(paths: string[], cfg: LoaderConfig, state?: LoaderState): TokenLoader {
    const loader = new TokenLoader(paths, cfg);
    if (state) loader.restore(state);
    return loader;
  }

  get numWindows(): number {
    return this.windowStart[this.windowStart.length - 1];
  }

  /** Full batches per epoch (the last batch of an epoch runs on into the next one's order). */
  get batchesPerEpoch(): number {
    return Math.floor(this.numWindows / this.cfg.batchSize);
  }

  state(): LoaderState {
    return {
      seed: this.cfg.seed, seqLen: this.cfg.seqLen, batchSize: this.cfg.batchSize,
      epoch: this.epoch, cursor: this.cursor, shardTokens: this.shards.map((s) => s.numTokens),
    };
  }

  private restore(s: LoaderState): void {
    const now = this.state();
    const mismatch = (['seed', 'seqLen', 'batchSize'] as const).filter((k) => s[k] !== now[k]);
    if (mismatch.length) throw new Error(`TokenLoader: saved state has ${mismatch.map((k) => `${k}=${s[k]}`).join(', ')} but the loader was opened with ${mismatch.map((k) => `${k}=${now[k]}`).join(', ')}`);
    if (s.shardTokens.join() !== now.shardTokens.join()) throw new Error(`TokenLoader: saved state was for shards of [${s.shardTokens}] tokens, these have [${now.shardTokens}]; resume on the same shards`);
    if (!(s.cursor >= 0 && s.cursor <= this.numWindows)) throw new Error(`TokenLoader: saved cursor ${s.cursor} outside [0, ${this.numWindows}]`);
    this.epoch = s.epoch;
    this.cursor = s.cursor;
    this.order = this.permutation(s.epoch);
  }

  /** This epoch's window order: a function of (seed, epoch) alone, so it is rebuilt on resume
   * rather than saved. */
  private permutation(epoch: number): Uint32Array {
    const rng = new Rng(hashString32(`epoch:${epoch}`, this.cfg.seed));
    const p = new Uint32Array(this.numWindows);
    for (let i = 0; i < p.length; i++) p[i] = i;
    for (let i = p.length - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      const t = p[i];
      p[i] = p[j];
      p[j] = t;
    }
    return p;
  }

  /** Reads global window w (T + 1 tokens) into buf. */
  private readWindow(w: number, buf: Int32Array): void {
    let s = 0;
    while (this.windowStart[s + 1] <= w) s++;
    this.shards[s].read((w - this.windowStart[s]) * this.cfg.seqLen, this.cfg.seqLen + 1, buf);
  }

  next(): LoaderBatch {
    const { batchSize: B, seqLen: T } = this.cfg;
    const x = new Int32Array(B * T);
    const y = new Int32Array(B * T);
    const buf = new Int32Array(T + 1);
    this.rollOver();
    const start = { epoch: this.epoch, cursor: this.cursor };
    for (let b = 0; b < B; b++) {
      this.rollOver();
      this.readWindow(this.order[this.cursor++], buf);
      x.set(buf.subarray(0, T), b * T);
      y.set(buf.subarray(1, T + 1), b * T);
    }
    return { x, y, ...start };
  }

  /** At the end of an epoch, moves to the next one's order. */
  private rollOver(): void {
    if (this.cursor < this.numWindows) return;
    this.epoch++;
    this.cursor = 0;
    this.order = this.permutation(this.epoch);
  }

  close(): void {
    for (const s of this.shards) s.close();
  }
}
