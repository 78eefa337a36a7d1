// The KV cache: per layer, keys and values of every position seen so far, pre-allocated to the
// full generation length and written in place, plus which positions are real tokens (left padding
// makes some rows start with pads that no query may attend to).
import { Tensor } from '../engine/tensor.js';
import type { ModelConfig } from './config.js';

/** What a cached forward needs from a cache (decoder.ts and attention.ts use only this): KVCache
 * below for generate(), BatchKVCache (batch-kv-cache.ts) for a server's continuous batching. */
export interface KVStore {
  /** Per layer: [B, capacity, Hkv, D]; positions [0, length) are filled. */
  readonly k: Tensor[];
  readonly v: Tensor[];
  /** [B]: real tokens cached per row, i.e. the next position id of that row. */
  readonly seen: Int32Array;
  readonly length: number;
  write(layer: number, k: Tensor, v: Tensor): void;
  keyMask(next: Int32Array | null, T: number): Int32Array | null;
  advance(next: Int32Array | null, T: number): void;
}

export class KVCache implements KVStore {
  /** Per layer: [B, capacity, Hkv, D]. */
  readonly k: Tensor[];
  readonly v: Tensor[];
  /** [B, capacity]: 1 where the cached position holds a real token, 0 for a pad. */
  readonly mask: Int32Array;
  /** [B]: real tokens cached per row, i.e. the next position id of that row. */
  readonly seen: Int32Array;
  /** Positions filled (the same for every row). */
  length = 0;
  private anyPad = false;

  constructor(cfg: ModelConfig, readonly batch: number, readonly capacity: number) {
    const shape = [batch, capacity, cfg.numKvHeads, cfg.headDim];
    this.k = Array.from({ length: cfg.numLayers }, () => Tensor.zeros(shape));
    this.v = Array.from({ length: cfg.numLayers }, () => Tensor.zeros(shape));
    this.mask = new Int32Array(batch * capacity);
    this.seen = new Int32Array(batch);
  }

  /** Copies k, v [B, T, Hkv, D] of one layer into rows [length, length + T). */
  write(layer: number, k: Tensor, v: Tensor): void {
    const [B, T] = k.shape, row = k.size / (B * T);
    if (B !== this.batch || this.length + T > this.capacity) {
      throw new RangeError(`KV cache: writing ${T} positions for batch ${B} at ${this.length} overflows [${this.batch}, ${this.capacity}]`);
    }
    for (let b = 0; b < B; b++) {
      const src = b * T * row, dst = (b * this.capacity + this.length) * row;
      this.k[layer].data.set(k.data.subarray(src, src + T * row), dst);
      this.v[layer].data.set(v.data.subarray(src, src + T * row), dst);
    }
  }

  /** Key mask [B, length + T] for T new positions with mask `next` [B·T] (null = all real), or
   * null when no position is a pad. */
  keyMask(next: Int32Array | null, T: number): Int32Array | null {
    const nextPad = next !== null && next.some((m) => m === 0);
    if (!this.anyPad && !nextPad) return null;
    const Tk = this.length + T, out = new Int32Array(this.batch * Tk);
    for (let b = 0; b < this.batch; b++) {
      out.set(this.mask.subarray(b * this.capacity, b * this.capacity + this.length), b * Tk);
      for (let t = 0; t < T; t++) out[b * Tk + this.length + t] = next ? next[b * T + t] : 1;
    }
    return out;
  }

  /** Records T new positions (after every layer wrote them). */
  advance(next: Int32Array | null, T: number): void {
    for (let b = 0; b < this.batch; b++) {
      for (let t = 0; t < T; t++) {
        const real = next ? next[b * T + t] : 1;
        this.mask[b * this.capacity + this.length + t] = real;
        this.seen[b] += real;
        if (!real) this.anyPad = true;
      }
    }
    this.length += T;
  }
}
