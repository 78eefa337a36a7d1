// The KV cache of continuous batching: rows (one per running sequence) join and leave between
// decode steps, each with its own length and positions, while every step still runs one batched
// forward over the rows present.
//
// Layout: all rows share the column counter `length`, as KVCache's do, and each row's real keys
// are right-aligned, filling columns [length − seen[b], length); the columns before are masked
// off. A decode step appends one column to every row, so a row's keys stay contiguous, and column
// distance equals position distance: the causal, sliding-window and ALiBi terms of attention,
// which work on columns, see each row exactly as a cache of its own would. A joining row is
// copied in right-aligned; when `length` would pass the capacity, or the columns left of the
// longest row waste more than half the attention work, every row is shifted left (`realign`).
// Rows are kept packed at the front (a leaving row is replaced by the last one), so a forward
// covers only the rows present: `k[layer]` is a view of the first `batch` rows of the storage.
import { Tensor } from '../engine/tensor.js';
import type { ModelConfig } from './config.js';
import type { KVCache, KVStore } from './kv-cache.js';

export class BatchKVCache implements KVStore {
  /** Per layer: views [batch, capacity, Hkv, D] of the first `batch` rows of the storage. */
  k: Tensor[] = [];
  v: Tensor[] = [];
  /** [maxRows]: real tokens of each row (its next position id); entries past `batch` are 0. */
  readonly seen: Int32Array;
  /** Columns in use (the same for every row). */
  length = 0;
  /** Rows present, packed at the front. */
  batch = 0;
  /** Times the rows were shifted (realign), for tests and the health report. */
  realigns = 0;
  private readonly kStore: Float32Array[];
  private readonly vStore: Float32Array[];
  /** Floats per (row, column): Hkv·D. */
  private readonly width: number;

  constructor(readonly cfg: ModelConfig, readonly maxRows: number, readonly capacity: number) {
    if (!(Number.isInteger(maxRows) && maxRows > 0)) throw new RangeError(`BatchKVCache: maxRows must be a positive integer, got ${maxRows}`);
    if (!(Number.isInteger(capacity) && capacity > 0)) throw new RangeError(`BatchKVCache: capacity must be a positive integer, got ${capacity}`);
    this.width = cfg.numKvHeads * cfg.headDim;
    // Zero-filled typed arrays are mapped lazily by the OS: memory is committed as columns fill.
    this.kStore = Array.from({ length: cfg.numLayers }, () => new Float32Array(maxRows * capacity * this.width));
    this.vStore = Array.from({ length: cfg.numLayers }, () => new Float32Array(maxRows * capacity * this.width));
    this.seen = new Int32Array(maxRows);
    this.remakeViews();
  }

  /** Bytes the cache may hold when every row is full. */
  get maxBytes(): number {
    return 2 * this.kStore.length * this.maxRows * this.capacity * this.width * 4;
  }

  /** Longest row (its real columns). */
  get longest(): number {
    let m = 0;
    for (let b = 0; b < this.batch; b++) m = Math.max(m, this.seen[b]);
    return m;
  }

  private remakeViews(): void {
    const n = this.batch * this.capacity * this.width, shape = [this.batch, this.capacity, this.cfg.numKvHeads, this.cfg.headDim];
    this.k = this.kStore.map((s) => new Tensor(s.subarray(0, n), shape));
    this.v = this.vStore.map((s) => new Tensor(s.subarray(0, n), shape));
  }

  /** Copies k, v [batch, T, Hkv, D] of one layer into columns [length, length + T). */
  write(layer: number, k: Tensor, v: Tensor): void {
    const [B, T] = k.shape, w = this.width;
    if (B !== this.batch || this.length + T > this.capacity) {
      throw new RangeError(`BatchKVCache: writing ${T} positions for batch ${B} at ${this.length} overflows [${this.batch}, ${this.capacity}]`);
    }
    for (let b = 0; b < B; b++) {
      const dst = (b * this.capacity + this.length) * w;
      this.kStore[layer].set(k.f.subarray(b * T * w, (b + 1) * T * w), dst);
      this.vStore[layer].set(v.f.subarray(b * T * w, (b + 1) * T * w), dst);
    }
  }

  /** Key mask [batch, length + T]: each row's real columns and the T new ones (always real: a row
   * present in a step feeds a token). Never null, since rows start at different columns. */
  keyMask(next: Int32Array | null, T: number): Int32Array {
    if (next && next.some((m) => m === 0)) throw new RangeError('BatchKVCache: every row of a step must feed real tokens');
    const Tk = this.length + T, out = new Int32Array(this.batch * Tk);
    for (let b = 0; b < this.batch; b++) out.fill(1, b * Tk + this.length - this.seen[b], (b + 1) * Tk);
    return out;
  }

  /** Records T new columns (after every layer wrote them). */
  advance(_next: Int32Array | null, T: number): void {
    for (let b = 0; b < this.batch; b++) this.seen[b] += T;
    this.length += T;
  }

  /** Shifts every row so that its keys end at column `newLength` (≥ the longest row). */
  realign(newLength: number): void {
    if (newLength < this.longest || newLength > this.capacity) throw new RangeError(`BatchKVCache: cannot realign to ${newLength} (longest row ${this.longest}, capacity ${this.capacity})`);
    if (newLength === this.length) return;
    const w = this.width;
    for (let b = 0; b < this.batch; b++) {
      const n = this.seen[b], row = b * this.capacity;
      for (const s of [...this.kStore, ...this.vStore]) s.copyWithin((row + newLength - n) * w, (row + this.length - n) * w, (row + this.length) * w);
    }
    this.length = newLength;
    this.realigns++;
  }

  /** Makes room for T more columns: shifts the rows left when the capacity would be passed or when
   * the dead columns left of the longest row are over half of the columns attention reads. */
  reserve(T: number): void {
    const longest = this.longest;
    if (longest + T > this.capacity) throw new RangeError(`BatchKVCache: a row of ${longest} tokens cannot take ${T} more (capacity ${this.capacity})`);
    if (this.length + T > this.capacity || this.length - longest > Math.max(32, longest)) this.realign(longest);
  }

  /**
   * Appends a row holding the last `n` columns of row `srcRow` of a filled prefill cache (a prompt
   * of n tokens, left-padded in `src` when shorter than its batch's longest). Returns its index.
   */
  addRow(src: KVCache, srcRow: number, n: number): number {
    if (this.batch === this.maxRows) throw new RangeError(`BatchKVCache: all ${this.maxRows} rows are in use`);
    if (n <= 0 || n > src.length || n > this.capacity) throw new RangeError(`BatchKVCache: cannot add a row of ${n} tokens (source has ${src.length}, capacity ${this.capacity})`);
    // Room for n columns right-aligned: shift the others right when too few columns are in use,
    // or left first when the capacity is short of one more step.
    if (this.length < n) {
      if (this.batch === 0) this.length = n;
      else this.realign(n);
    }
    const b = this.batch++, w = this.width;
    this.seen[b] = n;
    const from = (srcRow * src.capacity + src.length - n) * w, to = (b * this.capacity + this.length - n) * w;
    src.k.forEach((k, l) => {
      this.kStore[l].set(k.f.subarray(from, from + n * w), to);
      this.vStore[l].set(src.v[l].f.subarray(from, from + n * w), to);
    });
    this.remakeViews();
    return b;
  }

  /** Removes row r; the last row moves into its place (returns that row's old index, or −1 when r
   * was last), so callers keep their per-row state packed the same way. */
  removeRow(r: number): number {
    if (r < 0 || r >= this.batch) throw new RangeError(`BatchKVCache: no row ${r} (batch ${this.batch})`);
    const last = --this.batch;
    if (r !== last) {
      const w = this.width, n = this.seen[last];
      const from = (last * this.capacity + this.length - n) * w, to = (r * this.capacity + this.length - n) * w;
      for (const s of [...this.kStore, ...this.vStore]) s.copyWithin(to, from, from + n * w);
      this.seen[r] = n;
    }
    this.seen[last] = 0;
    if (this.batch === 0) this.length = 0;
    this.remakeViews();
    return r === last ? -1 : last;
  }
}
